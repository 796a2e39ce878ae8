// Queued callers are served by the queue group's strategy, end to end on the simulated driver. To have
// several members free at the same moment, every member first rings for one caller of a Simultaneous
// "hunt" group; a second caller queues in the group under test; the first caller hangs up, which frees
// them all in one decision, and the queued caller's offer must pick by the strategy.
import type { Strategy } from "@switchyard/routing-domain";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  placeCall,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559077";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

async function scenario(
  name: string,
  strategy: Strategy,
  order: (ids: string[]) => string[],
  busyCalls: string[],
  /** Calls to the queue group itself first, while everyone is free (Round-robin moves its cursor). */
  groupCalls = 0,
) {
  const ids = ["a", "b", "c"].map((x) => `${name}_${x}`);
  const { commands, agents } = defineAgents(ids);
  const connect = (groupId: string) => ({
    c: {
      kind: "connect" as const,
      target: { kind: "group" as const, groupId },
      branches: { fallback: "bye" },
    },
    bye: hangup,
  });
  const hunt = flowOnNumber(`${name}_hunt`, "c", connect(`${name}_hunt`));
  const queued = flowOnNumber(`${name}_q`, "c", connect(`${name}_q`));
  const direct = ids.map((id) =>
    flowOnNumber(`${name}_to_${id}`, "c", {
      c: { kind: "connect", target: { kind: "agent", agentId: id }, branches: { fallback: "bye" } },
      bye: hangup,
    }),
  );
  await defineConfig(p, [
    ...commands,
    { type: "DefineGroup", groupId: `${name}_hunt`, name: "hunt", strategy: "simultaneous", members: ids },
    {
      type: "DefineGroup",
      groupId: `${name}_q`,
      name: "q",
      strategy,
      members: order(ids),
      ringTimeoutSec: 60,
      queue: { enabled: true, maxWaitSec: 600 },
    },
    ...hunt.commands,
    ...queued.commands,
    ...direct.flatMap((f) => f.commands),
  ]);
  await signIn(p, ids);
  // Calls some agents take first (Least calls counts them).
  for (const id of busyCalls) {
    p.driver.setPhone(agents[id]!.number, { kind: "answer", afterSec: 1, talkSec: 1 });
    const n = direct[ids.indexOf(id)]!.number;
    await endedCall(p, await placeCall(p, { from: CALLER, to: n }));
  }
  for (let i = 0; i < groupCalls; i++) {
    for (const id of ids) p.driver.setPhone(agents[id]!.number, { kind: "answer", afterSec: 1, talkSec: 1 });
    await endedCall(p, await placeCall(p, { from: CALLER, to: queued.number }));
  }
  // Everyone lets the hunt call ring; then each answers the queued caller after 1 s.
  for (const id of ids)
    p.driver.setPhone(agents[id]!.number, [
      { kind: "noAnswer" },
      { kind: "answer", afterSec: 1, talkSec: 1 },
    ]);
  const first = await placeCall(p, { from: CALLER, to: hunt.number, hangUpAfterSec: 60 });
  await eventually(
    async () => ((await streamOf(p, first)).some((e) => e.type === "RoutingDecided") ? true : undefined),
    "every member ringing for the hunt call",
  );
  const second = await placeCall(p, { from: CALLER, to: queued.number });
  await eventually(
    async () => ((await streamOf(p, second)).some((e) => e.type === "CallerEnqueued") ? true : undefined),
    "the second caller queued",
  );
  const [, call] = await Promise.all([endedCall(p, first), endedCall(p, second)]);
  return { ids, offer: call.of("RoutingDecided").find((d) => d.purpose === "queueOffer") };
}

it("Sequential: the queued caller is offered to the first free member in the group's order", async () => {
  // Order c, a, b: all three free at once; the first in the order wins.
  const { ids, offer } = await scenario("qseq", "sequential", (ids) => [ids[2]!, ids[0]!, ids[1]!], []);
  expect(offer?.strategy).toBe("sequential");
  expect(offer?.chosen).toEqual([ids[2]]);
});

it("Least calls: the queued caller is offered to the free member with the fewest calls, last in the order", async () => {
  // a and b took a call each today; c none.
  const { ids, offer } = await scenario("qlc", "leastCalls", (ids) => ids, ["qlc_a", "qlc_b"]);
  expect(offer?.strategy).toBe("leastCalls");
  expect(offer?.chosen).toEqual([ids[2]]);
  expect(offer?.candidates.find((c) => c.agentId === ids[0])?.reason).toContain("more calls than");
});

it("Round-robin: the queued caller is offered to the next free member after the group's cursor", async () => {
  // One call to the group first: it went to a (the top of the list), so the rotation continues at b.
  const { ids, offer } = await scenario("qrr", "roundRobin", (ids) => ids, [], 1);
  expect(offer?.strategy).toBe("roundRobin");
  expect(offer?.chosen).toEqual([ids[1]]);
});

it("Longest idle: the queued caller is offered to the member idle the longest, last in the order", async () => {
  // a and b each finished a call (missing an offer does not reset idle time); c has been idle since sign-in.
  const { ids, offer } = await scenario("qli", "longestIdle", (ids) => ids, ["qli_a", "qli_b"]);
  expect(offer?.strategy).toBe("longestIdle");
  expect(offer?.chosen).toEqual([ids[2]]);
});
