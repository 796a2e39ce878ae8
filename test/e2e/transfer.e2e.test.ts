// Warm transfer (completed and declined), and bad input on the bus: dead-lettered with its reason, never
// blocking the calls behind it.

import { randomUUID } from "node:crypto";
import { DEAD_LETTER_STREAM, type DeadLetter } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { type CallInput, type CallInputMessage, callInputSubject } from "@switchyard/contracts";
import { type CallEvent, foldCall } from "@switchyard/routing-domain";
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
const CALLER = "+14155559004";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

/** What the admin API would send for an agent's transfer button. */
async function send(callId: string, input: CallInput): Promise<void> {
  const message: CallInputMessage = { messageId: randomUUID(), callId, input, at: p.clock.now() };
  await p.bus.publish(callInputSubject(callId), message, { msgId: message.messageId });
}

async function stateOf(callId: string) {
  return foldCall((await streamOf(p, callId)) as unknown as CallEvent[]);
}

/** A (direct Connect) and B (the transfer target), both signed in; returns their phones and the number. */
async function transferSetup(name: string) {
  const { commands, agents } = defineAgents([`${name}_a`, `${name}_b`]);
  const flow = flowOnNumber(name, "c", {
    c: { kind: "connect", target: { kind: "agent", agentId: `${name}_a` }, branches: { fallback: "bye" } },
    bye: hangup,
  });
  await defineConfig(p, [...commands, ...flow.commands]);
  await signIn(p, Object.keys(agents));
  return { a: agents[`${name}_a`]!, b: agents[`${name}_b`]!, number: flow.number };
}

describe("warm transfer", () => {
  it("A consults B, then completes: the caller ends up with B and A is released", async () => {
    const t = await transferSetup("wt_done");
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(t.b.number, { kind: "answer", afterSec: 1, talkSec: 30 });
    const callId = await placeCall(p, { from: CALLER, to: t.number });
    await eventually(async () => ((await stateOf(callId)).bridge ? true : undefined), "caller with A");
    const transferId = randomUUID();
    await send(callId, {
      type: "RequestTransfer",
      transferId,
      mode: "warm",
      target: { kind: "agent", agentId: t.b.id },
    });
    await eventually(
      async () => ((await stateOf(callId)).transfer?.phase === "consulting" ? true : undefined),
      "A consulting B",
    );
    await send(callId, { type: "CompleteTransfer", transferId });
    const call = await endedCall(p, callId);
    expect(call.of("TransferCompleted")).toHaveLength(1);
    const consultLeg = call.of("LegOriginateRequested").find((l) => l.role === "consult")!.legId;
    const bridges = call.of("LegsBridged").map((b) => [...b.legIds].sort());
    // Caller with A, A with B (the consult, caller on hold), caller with B.
    expect(bridges).toHaveLength(3);
    expect(bridges[2]).toEqual([call.state.callerLegId, consultLeg].sort());
    const callerLog = p.gateway.mediaLog(call.state.callerLegId).map((e) => e.kind);
    expect(callerLog).toContain("holdMusicStarted");
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
    const agentA = (await p.eventStore.store.readStream(`agent-${t.a.id}`)).map((e) => e.type);
    expect(agentA.at(-1)).toBe("AgentCallEnded");
  });

  it("B declines: the transfer fails and the caller is back with A", async () => {
    const t = await transferSetup("wt_declined");
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 40 });
    p.driver.setPhone(t.b.number, { kind: "reject", afterSec: 2 });
    const callId = await placeCall(p, { from: CALLER, to: t.number });
    await eventually(async () => ((await stateOf(callId)).bridge ? true : undefined), "caller with A");
    const transferId = randomUUID();
    await send(callId, {
      type: "RequestTransfer",
      transferId,
      mode: "warm",
      target: { kind: "agent", agentId: t.b.id },
    });
    const call = await endedCall(p, callId);
    const aLeg = call.of("LegOriginateRequested").find((l) => l.role === "target")!.legId;
    expect(call.of("TransferFailed")[0]).toMatchObject({ transferId, returnedTo: aLeg });
    const bridges = call.of("LegsBridged").map((b) => [...b.legIds].sort());
    expect(bridges.at(-1)).toEqual([call.state.callerLegId, aLeg].sort());
    expect(call.types).not.toContain("TransferCompleted");
    const agentB = (await p.eventStore.store.readStream(`agent-${t.b.id}`)).map((e) => e.type);
    expect(agentB.at(-1)).toBe("AgentReleased");
  });
});

describe("bad input on the bus", () => {
  it("dead-letters malformed and unknown call inputs with their reason and still handles the calls behind them", async () => {
    const { commands, agents } = defineAgents(["dlq_a"]);
    const flow = flowOnNumber("dlq", "c", {
      c: { kind: "connect", target: { kind: "agent", agentId: "dlq_a" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, ["dlq_a"]);
    p.driver.setPhone(agents.dlq_a!.number, { kind: "answer", afterSec: 1, talkSec: 3 });
    const bad = randomUUID();
    const wire = p.bus.names.subject(callInputSubject(bad));
    natsConnectionOf(p.bus).publish(wire, new TextEncoder().encode("{not json"), {});
    await p.bus.publish(
      callInputSubject(bad),
      { messageId: "m1", callId: bad, input: { type: "Teleport" }, at: 0 },
      { msgId: randomUUID() },
    );
    await p.bus.publish(
      callInputSubject(bad),
      { messageId: "m2", callId: bad, input: { type: "LegAnswered", legId: "nope" }, at: 0 },
      { msgId: randomUUID() },
    );
    const calls = await Promise.all([1, 2, 3].map(() => placeCall(p, { from: CALLER, to: flow.number })));
    const ended = await Promise.all(calls.map((c) => endedCall(p, c)));
    expect(
      ended.filter((c) => c.of("ConnectCompleted")[0]?.outcome === "answered").length,
    ).toBeGreaterThanOrEqual(1);
    const jsm = await natsConnectionOf(p.bus).jetstreamManager();
    const letters = await eventually(async () => {
      const stream = p.bus.names.stream(DEAD_LETTER_STREAM);
      const info = await jsm.streams.info(stream);
      if (info.state.messages < 3) return undefined;
      const out: DeadLetter[] = [];
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
        if (m) out.push(m.json<DeadLetter>());
      }
      return out.filter((l) => l.subject === callInputSubject(bad));
    }, "three dead letters");
    const reasons = letters.map((l) => `${l.reason}: ${l.error}`).join("\n");
    expect(reasons).toMatch(/undecodable payload/);
    expect(reasons).toMatch(/message.input.type is not a call input type \("Teleport"\)/);
    expect(reasons).toMatch(/LegAnswered refused for call .*CallNotFoundError/);
  });
});
