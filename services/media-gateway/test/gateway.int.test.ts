import { randomBytes } from "node:crypto";
import { type Bus, type ConsumerHandle, connectBus, type DeadLetter } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { scaledClock } from "@switchyard/clock";
import {
  CALL_INPUTS,
  type CallInputMessage,
  type LegCommandMessage,
  legCommandSubject,
} from "@switchyard/contracts";
import type { LegCommand } from "@switchyard/routing-domain";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { gatewayStateBucket, type MediaGateway, SimulatedDriver, start } from "../src/index.js";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const quiet = () => {};

/** Polls until `check` yields a value; the bound only stops a hang, nothing asserts on time. */
async function eventually<T>(check: () => T | undefined, what: string, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

let bus: Bus;
const inputs: CallInputMessage[] = [];
const deadLetters: DeadLetter[] = [];
const handles: ConsumerHandle[] = [];
const gateways: MediaGateway[] = [];

beforeAll(async () => {
  bus = await connectBus({ url: NATS_URL, prefix: `mg_${randomBytes(4).toString("hex")}`, name: "mg-test" });
  const gw = await newGateway("probe");
  await gw[Symbol.asyncDispose]();
  // Stands in for the router: collects every call input the gateways publish.
  handles.push(
    await bus.consume<CallInputMessage>({
      stream: CALL_INPUTS,
      durable: "test-router",
      filterSubject: "in.call.>",
      maxDeliver: 3,
      ackWaitMs: 5_000,
      handler: (m) => {
        inputs.push(m.payload);
      },
    }),
    await bus.consume<DeadLetter>({
      stream: "DEADLETTER",
      durable: "test-dlq",
      filterSubject: "dlq.LEG_COMMANDS.>",
      maxDeliver: 3,
      ackWaitMs: 5_000,
      handler: (m) => {
        deadLetters.push(m.payload);
      },
    }),
  );
});

afterEach(async () => {
  for (const g of gateways.splice(0)) {
    await g[Symbol.asyncDispose]();
    await g.driver.close();
  }
});

afterAll(async () => {
  await Promise.all(handles.map((h) => h.stop()));
  // The gateways' KV buckets (executed command ids, leg ties) are streams outside the bus's naming.
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  for (const id of ["probe", "gw1", "gw2", "gw3", "gw4", "gw5", "gw6", "gw7"])
    await jsm.streams.delete(`KV_${gatewayStateBucket(bus.names.prefix, id)}`).catch(() => false);
  await bus.deleteStreams();
  await bus.close();
});

let callIds = 0;
async function newGateway(gatewayId: string): Promise<MediaGateway & { simulated: SimulatedDriver }> {
  const clock = scaledClock({ speed: 50 });
  const driver = new SimulatedDriver({ clock });
  const gw = await start({
    bus,
    clock,
    driver,
    gatewayId,
    log: quiet,
    newCallId: () => `${gatewayId}-call-${++callIds}`,
  });
  gateways.push(gw);
  return Object.assign(gw, { simulated: driver });
}

function sendCommand(
  gatewayId: string,
  callId: string,
  callerLegId: string,
  command: LegCommand,
  commandId: string,
  msgId = commandId,
) {
  const message: LegCommandMessage = { commandId, callId, callerLegId, command, at: Date.now() };
  return bus.publish(legCommandSubject(gatewayId), message, { msgId });
}

const inputsOf = (callId: string) => inputs.filter((m) => m.callId === callId);
const summary = (callId: string) =>
  inputsOf(callId).map((m) => {
    const i = m.input;
    return "legId" in i ? `${i.type}:${i.legId}` : i.type;
  });

describe("media gateway over NATS", () => {
  it("reports an inbound call, executes leg commands, and publishes each fact to the call", async () => {
    const gw = await newGateway("gw1");
    const sim = gw.simulated!;
    sim.setPhone("+15550001", { kind: "answer", afterSec: 3 });
    const { callId, channelId } = await gw.placeInboundCall({
      from: "+4420",
      to: "+18005550100",
      talkSec: 20,
    });
    const start = await eventually(() => inputsOf(callId)[0], "StartCall");
    expect(start).toMatchObject({
      messageId: `${callId}:start`,
      callId,
      gatewayId: "gw1",
      input: { type: "StartCall", callId, from: "+4420", to: "+18005550100" },
    });

    const caller = `${callId}:leg-0.1`;
    const agent = `${callId}:leg-1.1`;
    let n = 0;
    const send = (c: LegCommand) => sendCommand("gw1", callId, caller, c, `${callId}:cmd-${++n}`);
    await send({ kind: "playHoldMusic", legId: caller, audio: { kind: "defaultTone" } });
    await send({
      kind: "originate",
      legId: agent,
      to: { kind: "phone", number: "+15550001" },
      callerId: "+18005550100",
      timeoutSec: 30,
    });
    await eventually(() => (summary(callId).includes(`LegAnswered:${agent}`) ? true : undefined), "answer");
    const whisper = { kind: "tts" as const, text: "Sales call" };
    await send({ kind: "play", legId: agent, playbackId: `${callId}:play-2.1`, audio: whisper });
    await eventually(() => (summary(callId).includes("PlaybackFinished") ? true : undefined), "whisper end");
    await send({ kind: "stopHoldMusic", legId: caller });
    await send({ kind: "bridge", legIds: [caller, agent] });
    await eventually(() => (summary(callId).includes(`LegEnded:${caller}`) ? true : undefined), "caller end");

    expect(gw.channelOf(caller)).toBe(channelId);
    expect(summary(callId)).toEqual([
      "StartCall",
      `LegRinging:${agent}`,
      `LegAnswered:${agent}`,
      "PlaybackFinished",
      `LegEnded:${caller}`,
    ]);
    const msgs = inputsOf(callId);
    expect(msgs.map((m) => m.messageId)).toEqual([
      `${callId}:start`,
      `${agent}:ringing`,
      `${agent}:answered`,
      `${callId}:play-2.1:finished`,
      `${caller}:ended`,
    ]);
    expect(msgs.at(-1)?.input).toEqual({ type: "LegEnded", legId: caller, reason: "hungUp" });
    // Platform timestamps, in order.
    expect(msgs.every((m, i) => i === 0 || m.at >= msgs[i - 1]!.at)).toBe(true);

    const agentLog = gw.mediaLog(agent).map((e) => e.kind);
    expect(agentLog.indexOf("playbackStarted")).toBeLessThan(agentLog.indexOf("bridged"));
    const callerLog = gw.mediaLog(caller);
    expect(callerLog.map((e) => e.kind)).toEqual([
      "inbound",
      "holdMusicStarted",
      "holdMusicStopped",
      "bridged",
      "unbridged",
      "ended",
    ]);
    expect(callerLog.some((e) => e.playbackId !== undefined)).toBe(false);
    expect(gw.stats()).toMatchObject({ commandsExecuted: 5, duplicateCommands: 0, inboundCalls: 1 });
  });

  it("executes a command delivered twice only once", async () => {
    const gw = await newGateway("gw2");
    const sim = gw.simulated!;
    sim.setPhone("+15550002", { kind: "answer", afterSec: 1 });
    const callId = "dup-call";
    const leg = `${callId}:leg-1.1`;
    const originate: LegCommand = {
      kind: "originate",
      legId: leg,
      to: { kind: "phone", number: "+15550002" },
      callerId: "+18005550100",
      timeoutSec: 30,
    };
    // Different Nats-Msg-Ids so the bus does not drop the copy: the gateway itself must.
    await sendCommand("gw2", callId, `${callId}:leg-0.1`, originate, "dup-cmd-1", "copy-a");
    await sendCommand("gw2", callId, `${callId}:leg-0.1`, originate, "dup-cmd-1", "copy-b");
    await sendCommand(
      "gw2",
      callId,
      `${callId}:leg-0.1`,
      { kind: "play", legId: leg, playbackId: "dup-play", audio: { kind: "defaultTone" } },
      "dup-cmd-2",
    );
    await eventually(() => (gw.stats().commandsExecuted === 2 ? true : undefined), "two commands");
    await eventually(() => (gw.stats().duplicateCommands === 1 ? true : undefined), "one duplicate");
    await eventually(() => (summary(callId).includes(`LegAnswered:${leg}`) ? true : undefined), "answer");
    expect(sim.attemptsOf("+15550002")).toBe(1);
    expect(summary(callId).filter((s) => s === `LegRinging:${leg}`)).toHaveLength(1);
  });

  it("dead-letters a malformed command with its reason and executes the next one", async () => {
    const gw = await newGateway("gw3");
    const sim = gw.simulated!;
    sim.setPhone("+15550003", { kind: "busy" });
    await bus.publish(
      legCommandSubject("gw3"),
      { commandId: "bad-1", command: { kind: "explode" } },
      {
        msgId: "bad-1",
      },
    );
    await bus.publish(
      legCommandSubject("gw3"),
      {
        commandId: "bad-2",
        callId: "c",
        callerLegId: "c:leg",
        at: 1,
        command: { kind: "originate", legId: "x", to: { kind: "fax" }, callerId: "+1", timeoutSec: 30 },
      },
      { msgId: "bad-2" },
    );
    const callId = "after-poison";
    const leg = `${callId}:leg-1.1`;
    await sendCommand(
      "gw3",
      callId,
      `${callId}:leg-0.1`,
      {
        kind: "originate",
        legId: leg,
        to: { kind: "phone", number: "+15550003" },
        callerId: "+18005550100",
        timeoutSec: 30,
      },
      "good-1",
    );
    await eventually(() => (summary(callId).includes(`LegEnded:${leg}`) ? true : undefined), "busy leg end");
    expect(inputsOf(callId).at(-1)?.input).toEqual({ type: "LegEnded", legId: leg, reason: "busy" });
    const letters = await eventually(
      () =>
        deadLetters.filter((d) => d.durable === "media-gateway-gw3").length === 2 ? deadLetters : undefined,
      "two dead letters",
    );
    const mine = letters.filter((d) => d.durable === "media-gateway-gw3");
    expect(mine.map((d) => d.subject)).toEqual(["legcmd.gw3", "legcmd.gw3"]);
    expect(mine[0]!.error).toMatch(/MalformedMessageError: malformed leg command: message.callId/);
    expect(mine[1]!.error).toMatch(/message.command.to.kind is not phone or sip/);
    expect(gw.stats().commandsExecuted).toBe(1);
  });

  it("a caller who hangs up before the router said anything ends the call with HangUp", async () => {
    const gw = await newGateway("gw4");
    const { callId } = await gw.placeInboundCall({ from: "+4420", to: "+18005550100", hangUpAfterSec: 1 });
    await eventually(() => (summary(callId).length === 2 ? true : undefined), "two inputs");
    expect(inputsOf(callId).map((m) => [m.messageId, m.input])).toEqual([
      [`${callId}:start`, { type: "StartCall", callId, from: "+4420", to: "+18005550100" }],
      [`${callId}:callerHungUp`, { type: "HangUp", reason: "callerHungUp" }],
    ]);
  });

  it("a command the driver refuses is redelivered and then executed once", async () => {
    const clock = scaledClock({ speed: 50 });
    const sim = new SimulatedDriver({ clock });
    sim.setPhone("+15550006", { kind: "noAnswer" });
    let refusals = 0;
    // A driver whose first originate fails (e.g. the SIP server was restarting).
    const flaky = new Proxy(sim, {
      get(target, key) {
        if (key === "originate") {
          return async (req: Parameters<SimulatedDriver["originate"]>[0]) => {
            if (refusals++ === 0) throw new Error("drachtio connection lost");
            return target.originate(req);
          };
        }
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const gw = await start({ bus, clock, driver: flaky, gatewayId: "gw6", log: quiet });
    gateways.push(gw);
    const callId = "flaky-call";
    const leg = `${callId}:leg-1.1`;
    const caller = `${callId}:leg-0.1`;
    await sendCommand(
      "gw6",
      callId,
      caller,
      {
        kind: "originate",
        legId: leg,
        to: { kind: "phone", number: "+15550006" },
        callerId: "+1",
        timeoutSec: 30,
      },
      "flaky-1",
    );
    await eventually(() => (summary(callId).includes(`LegRinging:${leg}`) ? true : undefined), "ringing");
    await sendCommand(
      "gw6",
      callId,
      caller,
      { kind: "cancel", legId: leg, reason: "ringTimeout" },
      "flaky-2",
    );
    await eventually(() => (summary(callId).includes(`LegEnded:${leg}`) ? true : undefined), "cancelled");
    expect(refusals).toBe(2);
    expect(sim.attemptsOf("+15550006")).toBe(1);
    expect(inputsOf(callId).at(-1)?.input).toEqual({ type: "LegEnded", legId: leg, reason: "cancelled" });
    expect(gw.stats().commandsExecuted).toBe(2);
  });

  it("reports the end of position announcements and of a voicemail recording", async () => {
    const gw = await newGateway("gw7");
    const { callId } = await gw.placeInboundCall({ from: "+4420", to: "+18005550100", voicemailSec: 10 });
    const caller = `${callId}:leg-0.1`;
    const send = (c: LegCommand, id: string) => sendCommand("gw7", callId, caller, c, `${callId}:${id}`);
    await send(
      { kind: "announcePosition", legId: caller, playbackId: `${callId}:play-1.1`, position: 3 },
      "a",
    );
    await eventually(() => (summary(callId).includes("PlaybackFinished") ? true : undefined), "announcement");
    await send(
      { kind: "recordVoicemail", legId: caller, recordingId: `${callId}:vm-2.1`, maxLengthSec: 60 },
      "b",
    );
    await eventually(() => (summary(callId).includes(`LegEnded:${caller}`) ? true : undefined), "caller end");
    expect(inputsOf(callId).map((m) => m.messageId)).toEqual([
      `${callId}:start`,
      `${callId}:play-1.1:finished`,
      `${callId}:vm-2.1:finished`,
      `${caller}:ended`,
    ]);
    expect(gw.mediaLog(caller).find((e) => e.kind === "positionAnnounced")).toMatchObject({ position: 3 });
  });

  it("forwards the caller's DTMF (and not an agent's) to the call", async () => {
    const gw = await newGateway("gw5");
    const { callId } = await gw.placeInboundCall({
      from: "+4420",
      to: "+18005550100",
      dtmf: [{ digits: "12", afterSec: 1 }],
    });
    await eventually(() => (summary(callId).length === 3 ? true : undefined), "two digits");
    expect(
      inputsOf(callId)
        .slice(1)
        .map((m) => [m.messageId, m.input]),
    ).toEqual([
      [`${callId}:dtmf-1`, { type: "DtmfReceived", digit: "1" }],
      [`${callId}:dtmf-2`, { type: "DtmfReceived", digit: "2" }],
    ]);
  });
});
