// Blind transfer (answered, not answered, nobody to ring) and transfers to a group and to an external number —
// simulated phones, real NATS and PostgreSQL, every call's stream checked.
import { randomUUID } from "node:crypto";
import { callInputSubject } from "@switchyard/contracts";
import type { TransferTarget } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AgentDef,
  callInput,
  callStateOf,
  deadLettersFor,
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  newNumber,
  placeCall,
  signIn,
  startE2E,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559006";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

const agentStream = async (agentId: string) => p.eventStore.store.readStream(`agent-${agentId}`);

/** Agent A answers the flow's direct Connect; `others` are signed-in agents to transfer to. */
async function setup(name: string, others: readonly string[] = ["b"]) {
  const ids = [`${name}_a`, ...others.map((o) => `${name}_${o}`)];
  const { commands, agents } = defineAgents(ids);
  const flow = flowOnNumber(name, "c", {
    c: { kind: "connect", target: { kind: "agent", agentId: `${name}_a` }, branches: { fallback: "bye" } },
    bye: hangup,
  });
  await defineConfig(p, [...commands, ...flow.commands]);
  await signIn(p, ids);
  const agent = (o: string): AgentDef => agents[`${name}_${o}`]!;
  return { a: agent("a"), agent, number: flow.number, agents };
}

/** Places a call answered by A and, once the caller talks with A, asks for the transfer. */
async function transferredCall(number: string, mode: "warm" | "blind", target: TransferTarget) {
  const callId = await placeCall(p, { from: CALLER, to: number });
  await eventually(async () => ((await callStateOf(p, callId)).bridge ? true : undefined), "caller with A");
  const transferId = randomUUID();
  await callInput(p, callId, { type: "RequestTransfer", transferId, mode, target });
  return { callId, transferId };
}

describe("blind transfer", () => {
  it("A is released at once; the caller is put through to B when B answers", async () => {
    const t = await setup("bt_done");
    const b = t.agent("b");
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(b.number, { kind: "answer", afterSec: 3, talkSec: 3 });
    const { callId, transferId } = await transferredCall(t.number, "blind", { kind: "agent", agentId: b.id });
    const call = await endedCall(p, callId);
    const aLeg = call.of("LegOriginateRequested").find((l) => l.role === "target")!.legId;
    const bLeg = call.of("LegOriginateRequested").find((l) => l.role === "consult")!;
    expect(bLeg.agentId).toBe(b.id);
    expect(call.of("TransferRequested")).toEqual([
      { transferId, mode: "blind", target: { kind: "agent", agentId: b.id }, agentLegId: aLeg },
    ]);
    // A is dropped in the same decision that asks for the transfer, before B even rings.
    const requested = call.events.find((e) => e.type === "TransferRequested")!;
    const dropA = call.events.find(
      (e) => e.type === "LegHangupRequested" && (e.data as { legId: string }).legId === aLeg,
    )!;
    expect(dropA.data).toMatchObject({ reason: "blindTransfer" });
    expect(dropA.transactionId).toBe(requested.transactionId);
    const bAnswered = call.events.find(
      (e) => e.type === "LegAnswered" && (e.data as { legId: string }).legId === bLeg.legId,
    )!;
    expect(dropA.streamVersion).toBeLessThan(bAnswered.streamVersion);
    const aEnded = (await agentStream(t.a.id)).find((e) => e.type === "AgentCallEnded")!;
    expect(aEnded.transactionId).toBe(requested.transactionId);
    // No consult: the caller goes from hold straight to B, and the transfer completes.
    const bridges = call.of("LegsBridged").map((x) => [...x.legIds].sort());
    expect(bridges).toEqual([
      [call.state.callerLegId, aLeg].sort(),
      [call.state.callerLegId, bLeg.legId].sort(),
    ]);
    expect(call.of("TransferCompleted")).toEqual([{ transferId, agentLegId: bLeg.legId }]);
    const callerLog = p.gateway.mediaLog(call.state.callerLegId).map((e) => e.kind);
    // Hold music while A rang, the bridge with A, hold music again for the transfer, the bridge with B.
    const hold = callerLog.lastIndexOf("holdMusicStarted");
    expect(hold).toBeGreaterThan(callerLog.indexOf("bridged"));
    expect(callerLog.lastIndexOf("bridged")).toBeGreaterThan(hold);
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
    const bTypes = (await agentStream(b.id)).map((e) => e.type);
    expect(bTypes.slice(-4)).toEqual(["AgentReserved", "AgentRinging", "AgentAnswered", "AgentCallEnded"]);
  });

  it("B does not answer: the transfer ring timeout fails it and, A being gone, the call ends", async () => {
    const t = await setup("bt_noanswer");
    const b = t.agent("b");
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(b.number, { kind: "noAnswer" });
    const { callId, transferId } = await transferredCall(t.number, "blind", { kind: "agent", agentId: b.id });
    const call = await endedCall(p, callId);
    expect(call.of("TimerElapsed").map((x) => x.kind)).toEqual(["transferRingTimeout"]);
    expect(call.of("TransferFailed")).toEqual([{ transferId, reason: "transfer target did not answer" }]);
    expect(call.types).not.toContain("TransferCompleted");
    const bLeg = call.of("LegOriginateRequested").find((l) => l.role === "consult")!.legId;
    expect(call.of("LegCancelRequested")).toContainEqual({ legId: bLeg, reason: "transferFailed" });
    expect(call.of("CallEnded")[0]?.reason).toBe("transferFailed");
    expect(call.of("LegHangupRequested")).toContainEqual({
      legId: call.state.callerLegId,
      reason: "transferFailed",
    });
    const bTypes = (await agentStream(b.id)).map((e) => e.type);
    expect(bTypes.at(-1)).toBe("AgentReleased");
    expect(call.state.legs[bLeg]?.endReason).toBe("cancelled");
  });

  it("B is signed out: nobody to ring, A is never dropped and keeps the caller", async () => {
    const t = await setup("bt_nobody", []);
    const { commands, agents } = defineAgents(["bt_nobody_out"]);
    await defineConfig(p, commands);
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 10 });
    const { callId, transferId } = await transferredCall(t.number, "blind", {
      kind: "agent",
      agentId: agents.bt_nobody_out!.id,
    });
    const call = await endedCall(p, callId);
    const aLeg = call.of("LegOriginateRequested").find((l) => l.role === "target")!.legId;
    expect(call.of("TransferFailed")).toEqual([
      { transferId, reason: "nobody to transfer to: agent bt_nobody_out is signedOut", returnedTo: aLeg },
    ]);
    expect(call.of("LegOriginateRequested").map((l) => l.role)).toEqual(["target"]);
    expect(call.of("LegsBridged")).toHaveLength(1);
    expect(call.types).not.toContain("LegsUnbridged");
    // A hung up after talking: the call ended with A, not by the transfer.
    expect(call.of("LegHangupRequested").map((h) => h.legId)).not.toContain(aLeg);
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });
});

describe("transfer to a group", () => {
  it("warm: the group's strategy picks B, the other members are cancelled, A completes", async () => {
    const t = await setup("gt", ["g1", "g2"]);
    await defineConfig(p, [
      {
        type: "DefineGroup",
        groupId: "gt_team",
        name: "team",
        strategy: "simultaneous",
        members: ["gt_g1", "gt_g2"],
        ringTimeoutSec: 10,
      },
    ]);
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(t.agent("g1").number, { kind: "noAnswer" });
    p.driver.setPhone(t.agent("g2").number, { kind: "answer", afterSec: 2, talkSec: 3 });
    const { callId, transferId } = await transferredCall(t.number, "warm", {
      kind: "group",
      groupId: "gt_team",
    });
    await eventually(
      async () => ((await callStateOf(p, callId)).transfer?.phase === "consulting" ? true : undefined),
      "A consulting a group member",
    );
    await callInput(p, callId, { type: "CompleteTransfer", transferId });
    const call = await endedCall(p, callId);
    const decided = call.of("RoutingDecided").find((d) => d.purpose === "transfer")!;
    expect(decided).toMatchObject({ groupId: "gt_team", strategy: "simultaneous", ringTimeoutSec: 10 });
    expect([...decided.chosen].sort()).toEqual(["gt_g1", "gt_g2"]);
    const consults = call.of("LegOriginateRequested").filter((l) => l.role === "consult");
    expect(consults.map((l) => l.agentId).sort()).toEqual(["gt_g1", "gt_g2"]);
    const g1Leg = consults.find((l) => l.agentId === "gt_g1")!.legId;
    const g2Leg = consults.find((l) => l.agentId === "gt_g2")!.legId;
    expect(call.of("LegCancelRequested")).toContainEqual({ legId: g1Leg, reason: "anotherLegAnswered" });
    const aLeg = call.of("LegOriginateRequested").find((l) => l.role === "target")!.legId;
    // Caller with A, A consulting g2 (caller on hold), caller with g2.
    expect(call.of("LegsBridged").map((x) => [...x.legIds].sort())).toEqual([
      [call.state.callerLegId, aLeg].sort(),
      [aLeg, g2Leg].sort(),
      [call.state.callerLegId, g2Leg].sort(),
    ]);
    expect(call.of("TransferCompleted")).toEqual([{ transferId, agentLegId: g2Leg }]);
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
    expect((await agentStream("gt_g1")).map((e) => e.type).at(-1)).toBe("AgentReleased");
    expect((await agentStream("gt_g2")).map((e) => e.type).at(-1)).toBe("AgentCallEnded");
    expect((await agentStream(t.a.id)).map((e) => e.type).at(-1)).toBe("AgentCallEnded");
  });
});

describe("transfer to an external number", () => {
  it("warm: A consults the number and completes by hanging up; the caller is put through", async () => {
    const t = await setup("nt_warm", []);
    const external = newNumber();
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(external, { kind: "answer", afterSec: 1, talkSec: 3 });
    const { callId, transferId } = await transferredCall(t.number, "warm", {
      kind: "number",
      number: external,
    });
    const consulting = await eventually(async () => {
      const s = await callStateOf(p, callId);
      return s.transfer?.phase === "consulting" ? s : undefined;
    }, "A consulting the number");
    // A hangs up their own phone: that is how a warm transfer is completed from a desk phone.
    p.driver.hangUpRemote(consulting.transfer!.fromLegId);
    const call = await endedCall(p, callId);
    const consult = call.of("LegOriginateRequested").find((l) => l.role === "consult")!;
    expect(consult.to).toEqual({ kind: "phone", number: external });
    expect(consult.agentId).toBeUndefined();
    expect(consult.callerId).toBe(t.number);
    expect(call.of("RoutingDecided").find((d) => d.purpose === "transfer")?.reason).toBe(
      "transfer to a number",
    );
    expect(call.of("TransferCompleted")).toEqual([{ transferId, agentLegId: consult.legId }]);
    expect(call.of("LegsBridged").at(-1)?.legIds).toEqual([call.state.callerLegId, consult.legId]);
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
    expect((await agentStream(t.a.id)).map((e) => e.type).at(-1)).toBe("AgentCallEnded");
  });

  it("blind: the number answers and the caller is bridged to it straight away", async () => {
    const t = await setup("nt_blind", []);
    const external = newNumber();
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(external, { kind: "answer", afterSec: 2, talkSec: 3 });
    const { callId, transferId } = await transferredCall(t.number, "blind", {
      kind: "number",
      number: external,
    });
    const call = await endedCall(p, callId);
    const consult = call.of("LegOriginateRequested").find((l) => l.role === "consult")!;
    expect(consult.to).toEqual({ kind: "phone", number: external });
    expect(call.of("LegsBridged")).toHaveLength(2);
    expect(call.of("LegsBridged").at(-1)?.legIds).toEqual([call.state.callerLegId, consult.legId]);
    expect(call.of("TransferCompleted")).toEqual([{ transferId, agentLegId: consult.legId }]);
    expect(p.gateway.mediaLog(consult.legId).map((e) => e.kind)).toContain("bridged");
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });

  it("an invalid number is refused with its reason and the caller stays with A", async () => {
    const t = await setup("nt_invalid", []);
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 6 });
    const { callId } = await transferredCall(t.number, "blind", { kind: "number", number: "555-0100" });
    const [letter] = await eventually(async () => {
      const letters = await deadLettersFor(p, callInputSubject(callId));
      return letters.length > 0 ? letters : undefined;
    }, "the refused transfer dead-lettered");
    expect(letter!.error).toMatch(
      /RequestTransfer refused .*InvalidPhoneNumberError: transfer target: "555-0100"/,
    );
    const call = await endedCall(p, callId);
    expect(call.types).not.toContain("TransferRequested");
    expect(call.of("LegsBridged")).toHaveLength(1);
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });
});

describe("transfer edges", () => {
  it("warm, A hangs up while B still rings: it becomes blind and the caller goes to B on answer", async () => {
    const t = await setup("te_aleaves");
    const b = t.agent("b");
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(b.number, { kind: "answer", afterSec: 4, talkSec: 2 });
    const { callId, transferId } = await transferredCall(t.number, "warm", { kind: "agent", agentId: b.id });
    const ringing = await eventually(async () => {
      const s = await callStateOf(p, callId);
      return s.transfer?.phase === "ringing" && s.transfer.legIds.length > 0 ? s : undefined;
    }, "B ringing");
    p.driver.hangUpRemote(ringing.transfer!.fromLegId);
    const call = await endedCall(p, callId);
    const aLeg = ringing.transfer!.fromLegId;
    const bLeg = ringing.transfer!.legIds[0]!;
    expect(call.of("LegEnded")).toContainEqual(expect.objectContaining({ legId: aLeg, reason: "hungUp" }));
    // No consult (A was gone when B answered): hold, then straight to B.
    expect(call.of("LegsBridged").map((x) => x.legIds)).toEqual([
      [call.state.callerLegId, aLeg],
      [call.state.callerLegId, bLeg],
    ]);
    expect(call.of("TransferCompleted")).toEqual([{ transferId, agentLegId: bLeg }]);
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });

  it("A cancels while B rings: B's leg is cancelled, B released, the caller back with A", async () => {
    const t = await setup("te_cancel");
    const b = t.agent("b");
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 12 });
    p.driver.setPhone(b.number, { kind: "noAnswer" });
    const { callId, transferId } = await transferredCall(t.number, "warm", { kind: "agent", agentId: b.id });
    await eventually(async () => {
      const s = await callStateOf(p, callId);
      return s.transfer?.legIds.some((l) => s.legs[l]?.status === "ringing") ? true : undefined;
    }, "B ringing");
    await callInput(p, callId, { type: "CancelTransfer", transferId });
    const call = await endedCall(p, callId);
    const aLeg = call.of("LegOriginateRequested").find((l) => l.role === "target")!.legId;
    const bLeg = call.of("LegOriginateRequested").find((l) => l.role === "consult")!.legId;
    expect(call.of("TransferFailed")).toEqual([
      { transferId, reason: "cancelled by the transferring agent", returnedTo: aLeg },
    ]);
    expect(call.of("LegCancelRequested")).toContainEqual({ legId: bLeg, reason: "transferFailed" });
    expect(call.of("LegsBridged").at(-1)?.legIds).toEqual([call.state.callerLegId, aLeg]);
    expect(call.types).not.toContain("TimerElapsed");
    expect((await agentStream(b.id)).map((e) => e.type).at(-1)).toBe("AgentReleased");
    expect(call.of("CallEnded")[0]?.reason).toBe("agentHungUp");
  });

  it("the caller hangs up while B rings: B's leg is cancelled and B released", async () => {
    const t = await setup("te_callerleaves");
    const b = t.agent("b");
    p.driver.setPhone(t.a.number, { kind: "answer", afterSec: 1, talkSec: 200 });
    p.driver.setPhone(b.number, { kind: "noAnswer" });
    const { callId } = await transferredCall(t.number, "warm", { kind: "agent", agentId: b.id });
    const ringing = await eventually(async () => {
      const s = await callStateOf(p, callId);
      return s.transfer?.legIds.some((l) => s.legs[l]?.status === "ringing") ? s : undefined;
    }, "B ringing");
    p.driver.hangUpRemote(p.gateway.channelOf(ringing.callerLegId));
    const call = await endedCall(p, callId);
    const bLeg = ringing.transfer!.legIds[0]!;
    expect(call.of("CallEnded")[0]?.reason).toBe("callerHungUp");
    expect(call.of("LegCancelRequested")).toContainEqual({ legId: bLeg, reason: "callerHungUp" });
    expect(call.of("LegHangupRequested")).toContainEqual({
      legId: ringing.transfer!.fromLegId,
      reason: "callerHungUp",
    });
    expect((await agentStream(b.id)).map((e) => e.type).at(-1)).toBe("AgentReleased");
    expect((await agentStream(t.a.id)).map((e) => e.type).at(-1)).toBe("AgentCallEnded");
  });
});
