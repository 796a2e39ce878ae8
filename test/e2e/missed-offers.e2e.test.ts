// Missed offers end to end: an agent whose phone never answers is paused after maxMissedOffers offers instead of
// being offered the same queued caller until the caller's max wait; a cooldown re-offers through TIMERS.
import { type Applet, DEFAULT_MISSED_OFFERS } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentInput,
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  placeCall,
  presenceOf,
  say,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559004";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

/** One agent in a queued group whose phone never answers; `extra` sets the missed-offer policy. */
async function group(
  name: string,
  extra: { maxMissedOffers?: number; missedOfferCooldownSec?: number },
  maxWaitSec: number,
) {
  const agentId = `${name}_agent`;
  const { commands, agents } = defineAgents([agentId]);
  const connect: Applet = {
    kind: "connect",
    target: { kind: "group", groupId: name },
    branches: { noAnswer: "waited", fallback: "waited" },
  };
  const flow = flowOnNumber(`${name}_flow`, "c", {
    c: connect,
    waited: say("Sorry, nobody could take your call"),
  });
  await defineConfig(p, [
    ...commands,
    {
      type: "DefineGroup",
      groupId: name,
      name,
      strategy: "longestIdle",
      members: [agentId],
      ringTimeoutSec: 5,
      queue: { enabled: true, maxWaitSec },
      ...extra,
    },
    ...flow.commands,
  ]);
  await signIn(p, [agentId]);
  const phone = agents[agentId]!.number;
  p.driver.setPhone(phone, { kind: "noAnswer" });
  return { agentId, phone, number: flow.number };
}

/**
 * The caller arrives while the agent is on break, so they queue; then the agent comes back. (A caller who never
 * queued takes the no-answer branch after one unanswered ring; only queued callers are offered again.)
 */
async function queuedCaller(g: { agentId: string; number: string }): Promise<string> {
  await agentInput(p, g.agentId, { type: "StartBreak" });
  await eventually(
    async () => ((await presenceOf(p, g.agentId))?.state.status === "onBreak" ? true : undefined),
    `${g.agentId} on break`,
  );
  const callId = await placeCall(p, { from: CALLER, to: g.number });
  await eventually(
    async () => ((await streamOf(p, callId)).some((e) => e.type === "CallerEnqueued") ? true : undefined),
    `call ${callId} queued`,
  );
  await agentInput(p, g.agentId, { type: "EndBreak" });
  return callId;
}

const agentEvents = async (agentId: string) => p.eventStore.store.readStream(`agent-${agentId}`);

describe("missed offers", () => {
  it("an agent who never answers is offered the queued caller maxMissedOffers times, then paused; the caller leaves at max wait", async () => {
    // maxMissedOffers left at its default: 3. Without it the caller would be offered ~30 times in 150 s. The
    // wait is long so that three offers fit even when a loaded machine stretches the scaled clock's latency.
    const g = await group("miss", {}, 150);
    const call = await endedCall(p, await queuedCaller(g));
    const offers = call.of("LegOriginateRequested").filter((l) => l.agentId === g.agentId);
    expect(offers).toHaveLength(DEFAULT_MISSED_OFFERS);
    expect(call.of("CallerDequeued").at(-1)?.reason).toBe("maxWait");
    expect(call.of("ConnectCompleted").at(-1)).toMatchObject({
      outcome: "queueTimeout",
      reason: "max queue wait reached",
    });
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["c", "waited"]);

    const events = await agentEvents(g.agentId);
    const released = events.filter((e) => e.type === "AgentReleased").map((e) => e.data);
    expect(released).toMatchObject([
      { missed: true, misses: 1 },
      { missed: true, misses: 2 },
      { missed: true, misses: 3 },
    ]);
    // The pause is written in the same transaction as the third miss: right after it on the agent stream.
    const paused = events.findIndex(
      (e) => e.type === "AgentBreakStarted" && (e.data as { reason?: string }).reason !== undefined,
    );
    expect(events[paused - 1]?.type).toBe("AgentReleased");
    expect(events[paused]?.data).toMatchObject({ reason: "missed offers", misses: 3 });
    const view = await eventually(async () => {
      const rec = await presenceOf(p, g.agentId);
      return rec?.version === events.length ? rec : undefined;
    }, "presence view of the paused agent");
    expect(view.state).toMatchObject({ status: "onBreak", breakReason: "missed offers", missedOffers: 3 });

    // The agent ends the break with the ordinary input: available again, the count cleared.
    await agentInput(p, g.agentId, { type: "EndBreak" });
    const back = await eventually(async () => {
      const rec = await presenceOf(p, g.agentId);
      return rec?.state.status === "available" ? rec : undefined;
    }, "agent back from the break");
    expect(back.state.missedOffers).toBeUndefined();
    expect(back.state.breakReason).toBeUndefined();
  });

  it("after a missed offer the agent rests for the cooldown; its end (a durable timer) offers the caller again", async () => {
    const g = await group("cool", { maxMissedOffers: 0, missedOfferCooldownSec: 20 }, 300);
    const callId = await queuedCaller(g);
    const missed = await eventually(async () => {
      const e = (await agentEvents(g.agentId)).find((x) => x.type === "AgentReleased");
      return e?.data as { at: number; cooldownUntil?: number } | undefined;
    }, "first missed offer");
    expect(missed.cooldownUntil).toBe(missed.at + 20_000);
    p.driver.setPhone(g.phone, { kind: "answer", afterSec: 1, talkSec: 2 });
    const call = await endedCall(p, callId);
    const offers = call.of("RoutingDecided").filter((d) => d.purpose === "queueOffer");
    expect(offers).toHaveLength(2);
    const reserved = (await agentEvents(g.agentId)).filter((e) => e.type === "AgentReserved");
    expect(reserved).toHaveLength(2);
    expect((reserved[1]!.data as { at: number }).at).toBeGreaterThanOrEqual(missed.cooldownUntil!);
    expect(call.of("ConnectCompleted").at(-1)?.outcome).toBe("answered");
  });
});
