import { randomBytes } from "node:crypto";
import { type Bus, type ConsumerHandle, connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { scaledClock } from "@switchyard/clock";
import {
  CALL_INPUTS,
  type CallInputMessage,
  type LegCommandMessage,
  legCommandSubject,
} from "@switchyard/contracts";
import type { LegCommand } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  gatewayStateBucket,
  type MediaGateway,
  openKvGatewayState,
  SimulatedDriver,
  start,
} from "../src/index.js";

const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const quiet = () => {};
const prefix = `mgr_${randomBytes(4).toString("hex")}`;

/** Polls until `check` yields a value; the bound only stops a hang, nothing asserts on time. */
async function eventually<T>(check: () => T | undefined, what: string, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

let observer: Bus;
const inputs: CallInputMessage[] = [];
const handles: ConsumerHandle[] = [];
const gatewayIds = new Set<string>();

/** One gateway process: its own connection (so that it can die), its driver, the gateway. */
interface Instance {
  readonly bus: Bus;
  readonly driver: SimulatedDriver;
  readonly gw: MediaGateway;
  /** Kills the process: the connection drops at once, nothing more is acked or published. */
  crash(): Promise<void>;
  readonly crashed: boolean;
}

const instances: Instance[] = [];

async function startInstance(
  gatewayId: string,
  options: {
    driver?: SimulatedDriver;
    /** Called between execute and ack; the instance crashes there. */
    crashAfter?: (m: LegCommandMessage) => boolean;
    onCrashPoint?: () => void;
  } = {},
): Promise<Instance> {
  gatewayIds.add(gatewayId);
  const tag = randomBytes(3).toString("hex");
  const clock = scaledClock({ speed: 50 });
  let inbound = 0;
  // Channel ids must not repeat across driver restarts (the KV ties are matched by them).
  const driver =
    options.driver ?? new SimulatedDriver({ clock, newInboundChannelId: () => `${tag}-in-${++inbound}` });
  const bus = await connectBus({ url: NATS_URL, prefix, name: `mg-restart-${tag}` });
  let release: (err: Error) => void = () => {};
  const held = new Promise<never>((_, reject) => {
    release = reject;
  });
  held.catch(() => undefined);
  let n = 0;
  const gw = await start({
    bus,
    clock,
    driver,
    gatewayId,
    log: quiet,
    ackWaitMs: 1_000,
    newCallId: () => `${gatewayId}-${tag}-call-${++n}`,
    afterExecute: async (m) => {
      if (!options.crashAfter?.(m)) return;
      options.onCrashPoint?.();
      // The process "dies" here: never acked, never recorded done.
      await held;
    },
  });
  let crashed = false;
  const instance: Instance = {
    bus,
    driver,
    gw,
    get crashed() {
      return crashed;
    },
    async crash() {
      if (crashed) return;
      crashed = true;
      await natsConnectionOf(bus).close();
      release(new Error("process died"));
      // Releases the test's resources; the dead connection only makes this give up sooner.
      await Promise.race([
        Promise.resolve(gw[Symbol.asyncDispose]()).catch(() => undefined),
        new Promise((r) => setTimeout(r, 500)),
      ]);
    },
  };
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  observer = await connectBus({ url: NATS_URL, prefix, name: "mg-restart-observer" });
  // Declares the streams before anyone publishes on them.
  const probe = await startInstance("probe");
  await probe.gw[Symbol.asyncDispose]();
  handles.push(
    await observer.consume<CallInputMessage>({
      stream: CALL_INPUTS,
      durable: "test-router",
      filterSubject: "in.call.>",
      maxDeliver: 3,
      ackWaitMs: 5_000,
      handler: (m) => {
        inputs.push(m.payload);
      },
    }),
  );
});

afterAll(async () => {
  for (const i of instances) {
    // A crashed instance's consumer cannot stop cleanly on its dead connection: it was left as it died.
    if (!i.crashed) await i.gw[Symbol.asyncDispose]();
    await i.driver.close();
    await i.bus.close().catch(() => undefined);
  }
  await Promise.all(handles.map((h) => h.stop()));
  const jsm = await natsConnectionOf(observer).jetstreamManager();
  for (const id of gatewayIds)
    await jsm.streams.delete(`KV_${gatewayStateBucket(prefix, id)}`).catch(() => false);
  await observer.deleteStreams();
  await observer.close();
});

function sendCommand(
  gatewayId: string,
  callId: string,
  command: LegCommand,
  commandId: string,
  msgId = commandId,
) {
  const message: LegCommandMessage = {
    commandId,
    callId,
    callerLegId: `${callId}:leg-0.1`,
    command,
    at: Date.now(),
  };
  return observer.publish(legCommandSubject(gatewayId), message, { msgId });
}

const inputsOf = (callId: string) => inputs.filter((m) => m.callId === callId).map((m) => m.input);
const originate = (legId: string, number: string): LegCommand => ({
  kind: "originate",
  legId,
  to: { kind: "phone", number },
  callerId: "+18005550100",
  timeoutSec: 30,
});

describe("media gateway restarts (real NATS, KV state)", () => {
  it("does not execute again an originate that ran before a crash between execute and ack", async () => {
    let atCrashPoint = false;
    const first = await startInstance("gwr1", {
      crashAfter: (m) => m.command.kind === "originate",
      onCrashPoint: () => {
        atCrashPoint = true;
      },
    });
    first.driver.setPhone("+15550101", { kind: "answer", afterSec: 60 });
    const callId = "crash-call";
    const leg = `${callId}:leg-1.1`;
    await sendCommand("gwr1", callId, originate(leg, "+15550101"), `${callId}:orig`);
    await eventually(() => (atCrashPoint ? true : undefined), "the crash point");
    expect(first.driver.attemptsOf("+15550101")).toBe(1);
    await first.crash();
    await first.driver.close(); // its channels die with the process

    const second = await startInstance("gwr1");
    second.driver.setPhone("+15550101", { kind: "answer", afterSec: 1 });
    // The unacked originate comes back after the ack wait; the KV record says it was executing.
    await eventually(() => (second.gw.stats().notReexecuted === 1 ? true : undefined), "the redelivery");
    expect(second.driver.attemptsOf("+15550101")).toBe(0);
    expect(second.gw.stats().commandsExecuted).toBe(0);
    // Its leg was tied before it ran; the new driver has no such channel: the call is told it failed.
    expect(second.gw.stats().legsReportedLost).toBe(1);
    await second.gw.flush();
    await eventually(
      () => (inputsOf(callId).some((i) => i.type === "LegEnded") ? true : undefined),
      "the lost leg's end",
    );
    expect(inputsOf(callId).filter((i) => i.type === "LegEnded")).toEqual([
      { type: "LegEnded", legId: leg, reason: "failed" },
    ]);

    // The next command of the call still runs (on a channel that is gone: ignored by the driver).
    await sendCommand(
      "gwr1",
      callId,
      { kind: "cancel", legId: leg, reason: "ringTimeout" },
      `${callId}:cancel`,
    );
    await eventually(() => (second.gw.stats().commandsExecuted === 1 ? true : undefined), "the cancel");
    expect(second.driver.attemptsOf("+15550101")).toBe(0);
  });

  it("executes a command once across a restart when it is published again", async () => {
    const first = await startInstance("gwr2");
    first.driver.setPhone("+15550102", { kind: "noAnswer" });
    const callId = "dup-call";
    const leg = `${callId}:leg-1.1`;
    await sendCommand("gwr2", callId, originate(leg, "+15550102"), `${callId}:orig`);
    await sendCommand(
      "gwr2",
      callId,
      { kind: "cancel", legId: leg, reason: "ringTimeout" },
      `${callId}:cancel`,
    );
    await eventually(() => (first.gw.stats().commandsExecuted === 2 ? true : undefined), "both commands");
    await first.gw[Symbol.asyncDispose]();

    const second = await startInstance("gwr2");
    second.driver.setPhone("+15550102", { kind: "noAnswer" });
    // New message ids: the stream's duplicate window does not catch them, the gateway's state must.
    await sendCommand("gwr2", callId, originate(leg, "+15550102"), `${callId}:orig`, "again-1");
    await sendCommand(
      "gwr2",
      callId,
      { kind: "cancel", legId: leg, reason: "ringTimeout" },
      `${callId}:cancel`,
      "again-2",
    );
    await eventually(() => (second.gw.stats().duplicateCommands === 2 ? true : undefined), "the duplicates");
    // And once more: now from the in-memory cache.
    await sendCommand("gwr2", callId, originate(leg, "+15550102"), `${callId}:orig`, "again-3");
    await eventually(() => (second.gw.stats().duplicateCommands === 3 ? true : undefined), "the third");
    expect(second.driver.attemptsOf("+15550102")).toBe(0);
    expect(first.driver.attemptsOf("+15550102")).toBe(1);
    expect(second.gw.stats().commandsExecuted).toBe(0);
    expect(second.gw.stats().notReexecuted).toBe(0);
  });

  it("keeps the caller-leg tie across a restart when the channels outlived the process", async () => {
    const clock = scaledClock({ speed: 50 });
    // The media server (here the simulated driver) survives the gateway process.
    const media = new SimulatedDriver({ clock, newInboundChannelId: () => "survivor-in-1" });
    media.setPhone("+15550103", { kind: "answer", afterSec: 1 });
    const first = await startInstance("gwr3", { driver: media });
    const { callId, channelId } = await first.gw.placeInboundCall({ from: "+4420", to: "+18005550100" });
    const callerLeg = `${callId}:leg-0.1`;
    const agentLeg = `${callId}:leg-1.1`;
    await sendCommand(
      "gwr3",
      callId,
      { kind: "playHoldMusic", legId: callerLeg, audio: { kind: "ringback" } },
      `${callId}:hold`,
    );
    await sendCommand("gwr3", callId, originate(agentLeg, "+15550103"), `${callId}:orig`);
    await eventually(
      () => (inputsOf(callId).some((i) => i.type === "LegAnswered") ? true : undefined),
      "the agent's answer",
    );
    await first.crash();

    const second = await startInstance("gwr3", { driver: media });
    expect(second.gw.stats().tiesRestored).toBe(2);
    expect(second.gw.stats().legsReportedLost).toBe(0);
    expect(second.gw.channelOf(callerLeg)).toBe(channelId);
    expect(second.gw.callOfChannel(channelId)).toBe(callId);
    // Commands for the caller leg reach the inbound channel.
    await sendCommand("gwr3", callId, { kind: "bridge", legIds: [callerLeg, agentLeg] }, `${callId}:bridge`);
    await eventually(() => (second.gw.stats().commandsExecuted === 1 ? true : undefined), "the bridge");
    expect(media.channel(channelId)?.bridgedTo).toBe(agentLeg);
    // And the inbound channel's facts carry the caller leg id.
    media.hangUpRemote(channelId);
    await eventually(
      () => (inputsOf(callId).some((i) => i.type === "LegEnded" && i.legId === callerLeg) ? true : undefined),
      "the caller's end",
    );
    expect(inputsOf(callId).filter((i) => i.type === "LegEnded")).toEqual([
      { type: "LegEnded", legId: callerLeg, reason: "hungUp" },
    ]);
  });

  it("reports the legs of channels that died with the process as failed, once, and forgets them", async () => {
    const first = await startInstance("gwr4");
    first.driver.setPhone("+15550104", { kind: "answer", afterSec: 1 });
    const tied = await first.gw.placeInboundCall({ from: "+4420", to: "+18005550100" });
    const untied = await first.gw.placeInboundCall({ from: "+4421", to: "+18005550100" });
    const callerLeg = `${tied.callId}:leg-0.1`;
    const agentLeg = `${tied.callId}:leg-1.1`;
    await sendCommand("gwr4", tied.callId, originate(agentLeg, "+15550104"), `${tied.callId}:orig`);
    await eventually(
      () => (inputsOf(tied.callId).some((i) => i.type === "LegAnswered") ? true : undefined),
      "the agent's answer",
    );
    await first.crash();
    await first.driver.close();

    const second = await startInstance("gwr4");
    expect(second.gw.stats().legsReportedLost).toBe(3);
    await second.gw.flush();
    await eventually(
      () =>
        inputsOf(tied.callId).filter((i) => i.type === "LegEnded").length === 2 &&
        inputsOf(untied.callId).some((i) => i.type === "HangUp")
          ? true
          : undefined,
      "the lost legs' ends",
    );
    expect(
      inputsOf(tied.callId)
        .filter((i) => i.type === "LegEnded")
        .sort((a, b) => ("legId" in a && "legId" in b ? a.legId.localeCompare(b.legId) : 0)),
    ).toEqual([
      { type: "LegEnded", legId: callerLeg, reason: "failed" },
      { type: "LegEnded", legId: agentLeg, reason: "failed" },
    ]);
    expect(inputsOf(untied.callId).filter((i) => i.type === "HangUp")).toEqual([
      { type: "HangUp", reason: "gatewayLost" },
    ]);
    // Once reported, the ties are gone: a third start reports nothing.
    const state = await openKvGatewayState(observer, "gwr4");
    expect(await state.ties()).toEqual([]);
    await second.gw[Symbol.asyncDispose]();
    const third = await startInstance("gwr4");
    expect(third.gw.stats().legsReportedLost).toBe(0);
  });
});
