// Connect's Record Call setting end to end: `on` records both legs from the bridge to the end, `off` records
// nothing, `inherit` follows the account (app-level) setting — simulated phones, real NATS and PostgreSQL.
import { randomUUID } from "node:crypto";
import type { RecordOption } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callInput,
  callStateOf,
  defineAgents,
  defineConfig,
  type E2EPlatform,
  type EndedCall,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  placeCall,
  signIn,
  startE2E,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559007";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

/** A direct Connect to a fresh agent with the given Record Call option; returns the number to call. */
async function recordFlow(
  name: string,
  record: RecordOption | undefined,
  flowLevel: { recordCalls?: boolean } = {},
): Promise<string> {
  const agentId = `${name}_agent`;
  const { commands, agents } = defineAgents([agentId]);
  const flow = flowOnNumber(
    name,
    "c",
    {
      c: {
        kind: "connect",
        target: { kind: "agent", agentId },
        branches: { fallback: "bye" },
        ...(record === undefined ? {} : { record }),
      },
      bye: hangup,
    },
    flowLevel,
  );
  await defineConfig(p, [...commands, ...flow.commands]);
  await signIn(p, [agentId]);
  p.driver.setPhone(agents[agentId]!.number, { kind: "answer", afterSec: 1, talkSec: 3 });
  return flow.number;
}

const agentLegOf = (call: EndedCall) =>
  call.of("LegOriginateRequested").find((l) => l.role === "target")!.legId;

/** Recorded from the bridge to the end, on both legs: the call's events and what the media side did. */
function expectRecorded(call: EndedCall, reason: string) {
  const caller = call.state.callerLegId;
  const agent = agentLegOf(call);
  expect(call.of("RoutingDecided")[0]?.recording).toEqual({ enabled: true, reason });
  const [started] = call.of("RecordingStarted");
  expect(call.of("RecordingStarted")).toEqual([
    { recordingId: started!.recordingId, legIds: [caller, agent], reason },
  ]);
  expect(call.of("RecordingStopped")).toEqual([{ recordingId: started!.recordingId }]);
  // Started in the decision that bridged, right after the bridge; stopped by the teardown, before CallEnded.
  const bridged = call.events.find((e) => e.type === "LegsBridged")!;
  const start = call.events.find((e) => e.type === "RecordingStarted")!;
  const stop = call.events.find((e) => e.type === "RecordingStopped")!;
  expect(start.streamVersion).toBe(bridged.streamVersion + 1);
  expect(start.transactionId).toBe(bridged.transactionId);
  expect(stop.streamVersion).toBeLessThan(call.types.indexOf("CallEnded") + 1);
  expect(stop.transactionId).toBe(call.events.find((e) => e.type === "CallEnded")!.transactionId);
  for (const leg of [caller, agent]) {
    const kinds = p.gateway
      .mediaLog(leg)
      .filter((e) => ["bridged", "recordingStarted", "recordingStopped"].includes(e.kind));
    expect(kinds.map((e) => [e.kind, e.recordingId])).toEqual([
      ["bridged", undefined],
      ["recordingStarted", started!.recordingId],
      ["recordingStopped", started!.recordingId],
    ]);
  }
}

function expectNotRecorded(call: EndedCall, reason: string) {
  expect(call.of("ConnectCompleted")[0]?.outcome).toBe("answered");
  expect(call.of("RoutingDecided")[0]?.recording).toEqual({ enabled: false, reason });
  expect(call.types).not.toContain("RecordingStarted");
  expect(call.types).not.toContain("RecordingStopped");
  for (const leg of [call.state.callerLegId, agentLegOf(call)]) {
    const kinds = p.gateway.mediaLog(leg).map((e) => e.kind);
    expect(kinds).toContain("bridged");
    expect(kinds.filter((k) => k.startsWith("recording"))).toEqual([]);
  }
}

describe("Record Call", () => {
  it("on: records both legs from the bridge and stops at the end, though the account does not record", async () => {
    await defineConfig(p, [{ type: "ConfigureAccount", recordCalls: false }]);
    const number = await recordFlow("rec_on", "on");
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: number }));
    expectRecorded(call, "set to on on the applet");
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });

  it("off: records nothing, though the account records", async () => {
    await defineConfig(p, [{ type: "ConfigureAccount", recordCalls: true }]);
    const number = await recordFlow("rec_off", "off");
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: number }));
    expectNotRecorded(call, "set to off on the applet");
  });

  it("inherit (the default) follows the account setting: on, then off", async () => {
    await defineConfig(p, [{ type: "ConfigureAccount", recordCalls: true }]);
    const number = await recordFlow("rec_inherit", undefined);
    // The caller hangs up first this time: the recording is stopped by that teardown too.
    const recorded = await endedCall(p, await placeCall(p, { from: CALLER, to: number, talkSec: 1 }));
    expect(recorded.of("CallEnded")[0]?.reason).toBe("callerHungUp");
    expectRecorded(recorded, "inherited from the account's app-level setting (on)");

    await defineConfig(p, [{ type: "ConfigureAccount", recordCalls: false }]);
    const explicit = await recordFlow("rec_inherit_explicit", "inherit");
    const notRecorded = await endedCall(p, await placeCall(p, { from: CALLER, to: explicit }));
    expectNotRecorded(notRecorded, "inherited from the account's app-level setting (off)");
  });
});

describe("Record Call per flow", () => {
  it("inherit follows the flow's own setting before the account's: a recording flow on a non-recording account, and the reverse", async () => {
    await defineConfig(p, [{ type: "ConfigureAccount", recordCalls: false }]);
    const on = await recordFlow("rec_flow_on", undefined, { recordCalls: true });
    expectRecorded(
      await endedCall(p, await placeCall(p, { from: CALLER, to: on, talkSec: 1 })),
      "inherited from the flow's app-level setting (on)",
    );
    await defineConfig(p, [{ type: "ConfigureAccount", recordCalls: true }]);
    const off = await recordFlow("rec_flow_off", "inherit", { recordCalls: false });
    expectNotRecorded(
      await endedCall(p, await placeCall(p, { from: CALLER, to: off })),
      "inherited from the flow's app-level setting (off)",
    );
  });
});

describe("Record Call across a transfer", () => {
  it("the recording follows the call through a blind transfer: a new segment names the caller and B", async () => {
    const { commands, agents } = defineAgents(["rec_tx_a", "rec_tx_b"]);
    const flow = flowOnNumber("rec_tx", "c", {
      c: {
        kind: "connect",
        target: { kind: "agent", agentId: "rec_tx_a" },
        branches: { fallback: "bye" },
        record: "on",
      },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, ["rec_tx_a", "rec_tx_b"]);
    p.driver.setPhone(agents.rec_tx_a!.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(agents.rec_tx_b!.number, { kind: "answer", afterSec: 1, talkSec: 2 });
    const callId = await placeCall(p, { from: CALLER, to: flow.number });
    await eventually(
      async () => ((await callStateOf(p, callId)).recordingId ? true : undefined),
      "recording",
    );
    const transferId = randomUUID();
    await callInput(p, callId, {
      type: "RequestTransfer",
      transferId,
      mode: "blind",
      target: { kind: "agent", agentId: "rec_tx_b" },
    });
    const call = await endedCall(p, callId);
    expect(call.of("TransferCompleted")).toHaveLength(1);
    expect(call.of("RoutingDecided").find((d) => d.purpose === "transfer")?.recording).toEqual({
      enabled: true,
      reason: "recording continues across the transfer",
    });
    // The recording follows the call (segments): A's segment stops when the caller is bridged to B, and a
    // new segment, continuing it, records the caller and B until the end.
    const caller = call.state.callerLegId;
    const a = agentLegOf(call);
    const b = call.of("TransferCompleted")[0]!.agentLegId;
    expect(b).not.toBe(a);
    const [first, second] = call.of("RecordingStarted");
    expect(call.of("RecordingStarted")).toEqual([
      { recordingId: first!.recordingId, legIds: [caller, a], reason: "set to on on the applet" },
      {
        recordingId: second!.recordingId,
        legIds: [caller, b],
        reason: "recording continues across the transfer",
        continues: first!.recordingId,
      },
    ]);
    expect(second!.recordingId).not.toBe(first!.recordingId);
    expect(call.of("RecordingStopped")).toEqual([
      { recordingId: first!.recordingId },
      { recordingId: second!.recordingId },
    ]);
    // The switch happens in the decision that bridged the caller to B; the last segment ends with the call.
    const completed = call.events.find((e) => e.type === "TransferCompleted")!;
    const bridgedToB = call.events.find(
      (e) => e.type === "LegsBridged" && (e.data as { legIds: string[] }).legIds.includes(b),
    )!;
    const [stop1, stop2] = call.events.filter((e) => e.type === "RecordingStopped");
    const start2 = call.events.filter((e) => e.type === "RecordingStarted")[1]!;
    for (const e of [bridgedToB, stop1!, start2]) expect(e.transactionId).toBe(completed.transactionId);
    expect([bridgedToB, stop1!, start2, completed].map((e) => e.streamVersion)).toEqual(
      [0, 1, 2, 3].map((k) => bridgedToB.streamVersion + k),
    );
    expect(stop2!.transactionId).toBe(call.events.find((e) => e.type === "CallEnded")!.transactionId);
    // Media side: the caller is on both segments; B is on the second from its bridge; A only on the first.
    const recOf = (leg: string) =>
      p.gateway
        .mediaLog(leg)
        .filter((e) => ["bridged", "recordingStarted", "recordingStopped"].includes(e.kind))
        .map((e) => [e.kind, e.recordingId]);
    expect(recOf(caller)).toEqual([
      ["bridged", undefined],
      ["recordingStarted", first!.recordingId],
      ["bridged", undefined],
      ["recordingStopped", first!.recordingId],
      ["recordingStarted", second!.recordingId],
      ["recordingStopped", second!.recordingId],
    ]);
    expect(recOf(b)).toEqual([
      ["bridged", undefined],
      ["recordingStarted", second!.recordingId],
      ["recordingStopped", second!.recordingId],
    ]);
    expect(recOf(a).filter(([k]) => k !== "bridged")).toEqual([
      ["recordingStarted", first!.recordingId],
      ["recordingStopped", first!.recordingId],
    ]);
  });
});
