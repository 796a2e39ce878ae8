// Two routers share the durable consumers while a burst of calls queues for a few agents: every call is
// answered, in queue order where it waited, and no agent is ever reserved for two calls at once (the
// expected versions decide races, not the routers).
import { start as startRouter } from "@switchyard/router";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  flowOnNumber,
  GATEWAY,
  placeCall,
  signIn,
  startE2E,
} from "./harness.js";

const CALLS = 60;
const AGENTS = 5;
let p: E2EPlatform;

beforeAll(async () => {
  // Exact simulated time: the 20 s ring window is 20 s of platform time however loaded the machine is.
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

it("two routers answer a burst of queued calls with every agent holding one call at a time", async () => {
  const second = await startRouter({
    eventStore: p.eventStore,
    bus: await p.buses.busOf("router"),
    clock: p.clock,
    gatewayId: GATEWAY,
  });
  try {
    const ids = Array.from({ length: AGENTS }, (_, i) => `scale_${i}`);
    const { commands, agents } = defineAgents(ids, 1);
    const flow = flowOnNumber("scale", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "scale" }, branches: { fallback: "bye" } },
      bye: { kind: "hangup" },
    });
    await defineConfig(p, [
      ...commands,
      {
        type: "DefineGroup",
        groupId: "scale",
        name: "scale",
        strategy: "longestIdle",
        members: ids,
        // A 20 s ring window against phones answering after 1 s: on the scaled clock (1 s of real time at 20x) a
        // loaded machine took the no-answer branch; on the virtual clock only a lost answer can.
        ringTimeoutSec: 20,
        queue: { enabled: true, maxSize: CALLS, maxWaitSec: 3_600 },
      },
      ...flow.commands,
    ]);
    await signIn(p, ids);
    for (const a of Object.values(agents))
      p.driver.setPhone(a.number, { kind: "answer", afterSec: 1, talkSec: 3 });
    const before = (p.router?.stats().decisions ?? 0) + second.stats().decisions;
    const startedAt = Date.now();
    const calls = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        placeCall(p, { from: `+1415777${String(i).padStart(4, "0")}`, to: flow.number }),
      ),
    );
    // One after the other: each wait checks its call at every quiescent moment, so sixty at once would
    // read sixty streams at each jump of time.
    const ended = [];
    for (const c of calls) ended.push(await endedCall(p, c, 3_000));
    const elapsedMs = Date.now() - startedAt;
    for (const call of ended) expect(call.of("ConnectCompleted").at(-1)?.outcome).toBe("answered");
    // Each agent: reservations never overlap, and every answered call was reserved first.
    let answered = 0;
    for (const id of ids) {
      const events = await p.eventStore.store.readStream(`agent-${id}`);
      let holding: string | undefined;
      for (const e of events) {
        const callId = (e.data as { callId?: string }).callId;
        if (e.type === "AgentReserved") {
          expect(holding).toBeUndefined();
          holding = callId;
        } else if (e.type === "AgentReleased" || e.type === "AgentWrapUpEnded") {
          expect(holding).toBe(callId);
          holding = undefined;
        } else if (e.type === "AgentAnswered") {
          expect(holding).toBe(callId);
          answered++;
        }
      }
    }
    expect(answered).toBe(CALLS);
    const decisions = (p.router?.stats().decisions ?? 0) + second.stats().decisions - before;
    console.log(
      JSON.stringify({
        calls: CALLS,
        agents: AGENTS,
        routers: 2,
        decisions,
        byRouter: [p.router?.stats().decisions, second.stats().decisions],
        conflicts: (p.router?.stats().conflicts ?? 0) + second.stats().conflicts,
        elapsedMs,
      }),
    );
    expect(second.stats().decisions).toBeGreaterThan(0);
  } finally {
    await second[Symbol.asyncDispose]();
  }
});
