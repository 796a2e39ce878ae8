// The media gateway's graceful shutdown on the simulated driver, with the router, presence and relay
// running (as `switchyard run` keeps them while its gateway drains): two bridged calls are up when the drain
// starts; a new caller is refused at once, nothing recorded for them; one call ends by itself during the
// drain (its caller hangs up) and is left to do so; the other is still up at the drain deadline and the
// gateway hangs it up, so the router ends it: both calls end in PostgreSQL with CallEnded, every leg ended,
// no channel left up.
import { CallRefusedError } from "@switchyard/media-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

beforeAll(async () => {
  p = await startE2E();
  await defineConfig(p, [{ type: "ConfigureAccount", callerIdPassThrough: true }]);
});

afterAll(async () => {
  await p?.close();
});

describe("media gateway drain (SIGTERM)", () => {
  it("refuses new calls, lets calls up finish until the deadline, then ends the rest cleanly", async () => {
    const { commands, agents } = defineAgents(["drain_a1", "drain_a2"]);
    const flow = flowOnNumber("drain_flow", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "drain_g" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [
      ...commands,
      {
        type: "DefineGroup",
        groupId: "drain_g",
        name: "drain_g",
        strategy: "longestIdle",
        members: Object.keys(agents),
        ringTimeoutSec: 20,
      },
      ...flow.commands,
    ]);
    await signIn(p, Object.keys(agents));
    // Agents who would talk for an hour: only the caller hanging up or the drain deadline ends a call.
    for (const a of Object.values(agents)) p.driver.setPhone(a.number, { kind: "answer", afterSec: 1 });
    const calls: Array<{ callId: string; channelId: string }> = [];
    for (const from of ["+14155559301", "+14155559302"]) {
      const call = await p.gateway.placeInboundCall({ from, to: flow.number });
      calls.push(call);
      const { callId } = call;
      await eventually(
        async () => ((await streamOf(p, callId)).some((e) => e.type === "LegsBridged") ? true : undefined),
        `call from ${from} bridged`,
      );
    }
    const [finishing, lingering] = calls as [(typeof calls)[0], (typeof calls)[0]];
    const channelsBefore = p.driver.activeChannels().length;
    expect(channelsBefore).toBe(4);

    const drained = p.gateway.drain({ deadlineMs: 8_000 });

    // A new caller is refused (the simulated 503): no call exists for them anywhere.
    await expect(placeCall(p, { from: "+14155559303", to: flow.number })).rejects.toBeInstanceOf(
      CallRefusedError,
    );
    expect(p.driver.refusedCalls()).toBe(1);
    expect(p.gateway.stats().inboundCalls).toBe(2);

    // A call in progress finishes by itself while the gateway drains: it is served to the end.
    p.driver.hangUpRemote(finishing.channelId, "caller hung up while draining");
    const first = await endedCall(p, finishing.callId);
    expect(first.types).toContain("CallEnded");

    const report = await drained;
    expect(report).toEqual({ callsAtStart: 2, finished: 1, endedAtDeadline: 1, stillUp: 0 });
    // The other was hung up at the deadline and its end reported: the router ended it.
    const second = await endedCall(p, lingering.callId);
    expect(second.types).toContain("CallEnded");
    expect(p.driver.activeChannels()).toEqual([]);
  });
});
