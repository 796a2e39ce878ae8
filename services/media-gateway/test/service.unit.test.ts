import type { Bus, BusMessage, ConsumeOptions, PublishOptions } from "@switchyard/bus";
import { manualClock } from "@switchyard/clock";
import type { CallInputMessage, LegCommandMessage } from "@switchyard/contracts";
import type { LegCommand } from "@switchyard/routing-domain";
import { describe, expect, it } from "vitest";
import type { DriverEvent, MediaDriver } from "../src/driver.js";
import {
  GatewayStateUnavailableError,
  InvalidGatewayIdError,
  type MediaGateway,
  type MediaGatewayConfig,
  start,
} from "../src/service.js";
import { SimulatedDriver } from "../src/simulated/simulated-driver.js";
import { memoryGatewayState } from "../src/state.js";

/** A bus that hands the gateway's handler to the test and records (or fails) publishes. */
function fakeBus(failFirstPublishes = 0) {
  const published: Array<{ subject: string; payload: CallInputMessage; msgId: string }> = [];
  let failures = failFirstPublishes;
  let handler: ConsumeOptions<LegCommandMessage>["handler"] | undefined;
  let decode: ConsumeOptions<LegCommandMessage>["decode"];
  const bus: Pick<Bus, "publish" | "ensureStreams" | "consume"> = {
    ensureStreams: async () => {},
    publish: async (subject: string, payload: unknown, options: PublishOptions) => {
      if (failures > 0) {
        failures--;
        throw new Error("TIMEOUT");
      }
      published.push({ subject, payload: payload as CallInputMessage, msgId: options.msgId });
      return { stream: "CALL_INPUTS", seq: published.length, duplicate: false };
    },
    consume: (async (options: ConsumeOptions<LegCommandMessage>) => {
      handler = options.handler;
      decode = options.decode;
      return { stop: async () => {}, done: Promise.resolve() };
    }) as Bus["consume"],
  };
  let seq = 0;
  const deliver = async (json: unknown) => {
    const payload = decode ? decode(json) : (json as LegCommandMessage);
    await handler!({
      payload,
      headers: {},
      info: { streamSequence: ++seq },
    } as BusMessage<LegCommandMessage>);
  };
  return { bus, published, deliver };
}

async function setup(failFirstPublishes = 0, extra: Partial<MediaGatewayConfig> = {}) {
  const clock = manualClock(0);
  const driver = new SimulatedDriver({ clock });
  const fake = fakeBus(failFirstPublishes);
  let n = 0;
  const gw: MediaGateway = await start({
    bus: fake.bus,
    clock,
    driver,
    gatewayId: "gw",
    log: () => {},
    newCallId: () => `call-${++n}`,
    state: memoryGatewayState(),
    ...extra,
  });
  const command = (callId: string, command: LegCommand, commandId: string): LegCommandMessage => ({
    commandId,
    callId,
    callerLegId: `${callId}:caller`,
    command,
    at: 0,
  });
  return { clock, driver, gw, ...fake, command };
}

describe("gateway service (fake bus)", () => {
  it("refuses inbound calls once shutting down (SIGTERM), publishing nothing for them", async () => {
    const { gw, driver, published } = await setup();
    const closing = gw[Symbol.asyncDispose]();
    const channelId = driver.placeInboundCall({ from: "+44", to: "+1800" });
    await closing;
    await new Promise((r) => setImmediate(r));
    expect(published).toEqual([]);
    expect(gw.stats().refusedWhileClosing).toBe(1);
    expect(driver.mediaLog(channelId).map((e) => e.kind)).toContain("ended");
  });

  it("ties the caller leg id to the inbound channel with the call's first command", async () => {
    const { gw, driver, deliver, published, command, clock } = await setup();
    const { callId, channelId } = await gw.placeInboundCall({ from: "+44", to: "+1800" });
    expect(callId).toBe("call-1");
    expect(gw.channelOf(`${callId}:caller`)).toBe(`${callId}:caller`);
    await deliver(
      command(
        callId,
        { kind: "playHoldMusic", legId: `${callId}:caller`, audio: { kind: "ringback" } },
        "c1",
      ),
    );
    expect(gw.channelOf(`${callId}:caller`)).toBe(channelId);
    expect(gw.callOfChannel(channelId)).toBe(callId);
    expect(driver.channel(channelId)?.holdMusic).toEqual({ kind: "ringback" });
    await deliver(command(callId, { kind: "hangup", legId: `${callId}:caller`, reason: "done" }, "c2"));
    await clock.advance(0);
    await gw.flush();
    expect(published.map((p) => [p.subject, p.msgId, p.payload.input])).toEqual([
      ["in.call.call-1", "call-1:start", { type: "StartCall", callId, from: "+44", to: "+1800" }],
      [
        "in.call.call-1",
        "call-1:caller:ended",
        { type: "LegEnded", legId: "call-1:caller", reason: "hungUp" },
      ],
    ]);
    expect(published.every((p) => p.payload.gatewayId === "gw" && p.payload.messageId === p.msgId)).toBe(
      true,
    );
  });

  it("reports the caller leg ended when the router names it after the caller already hung up", async () => {
    const { gw, driver, deliver, published, command, clock } = await setup();
    const { callId, channelId } = await gw.placeInboundCall({ from: "+44", to: "+1800" });
    driver.hangUpRemote(channelId);
    await clock.advance(0);
    await gw.flush();
    // The router's first command for the call names its caller leg: that leg is gone already.
    await deliver(
      command(
        callId,
        { kind: "playHoldMusic", legId: `${callId}:caller`, audio: { kind: "ringback" } },
        "c1",
      ),
    );
    await gw.flush();
    expect(published.map((p) => [p.msgId, p.payload.input])).toEqual([
      [`${callId}:start`, { type: "StartCall", callId, from: "+44", to: "+1800" }],
      [`${callId}:callerHungUp`, { type: "HangUp", reason: "callerHungUp" }],
      [`${callId}:caller:ended`, { type: "LegEnded", legId: `${callId}:caller`, reason: "hungUp" }],
    ]);
  });

  it("retries a failed publish with the same message id", async () => {
    const { gw, published } = await setup(2);
    const { callId } = await gw.placeInboundCall({ from: "+44", to: "+1800" });
    expect(published.map((p) => p.msgId)).toEqual([`${callId}:start`]);
    expect(gw.stats()).toMatchObject({ publishRetries: 2, factsPublished: 1 });
  });

  it("skips a command id it already executed", async () => {
    const { gw, driver, deliver, command, clock } = await setup();
    driver.setPhone("+1", { kind: "answer", afterSec: 1 });
    const originate = command(
      "c",
      {
        kind: "originate",
        legId: "c:leg",
        to: { kind: "phone", number: "+1" },
        callerId: "+1800",
        timeoutSec: 10,
      },
      "o1",
    );
    await deliver(originate);
    await clock.advance(2_000);
    await deliver(command("c", { kind: "hangup", legId: "c:leg", reason: "x" }, "h1"));
    await deliver(originate);
    await clock.advance(2_000);
    expect(driver.attemptsOf("+1")).toBe(1);
    expect(driver.channel("c:leg")?.status).toBe("ended");
    expect(gw.stats()).toMatchObject({ commandsExecuted: 2, duplicateCommands: 1 });
  });

  it("does not execute again an originate interrupted between execute and ack; re-runs idempotent kinds", async () => {
    const state = memoryGatewayState();
    let crash = true;
    const afterExecute = () => {
      if (crash) throw new Error("process died before the ack");
    };
    const first = await setup(0, { state, afterExecute });
    first.driver.setPhone("+1", { kind: "noAnswer" });
    const originate = first.command(
      "c",
      {
        kind: "originate",
        legId: "c:leg",
        to: { kind: "phone", number: "+1" },
        callerId: "+1800",
        timeoutSec: 10,
      },
      "o1",
    );
    const cancel = first.command("c", { kind: "cancel", legId: "c:leg", reason: "ringTimeout" }, "x1");
    await expect(first.deliver(originate)).rejects.toThrow("process died");
    expect(first.driver.attemptsOf("+1")).toBe(1);
    expect(await state.command("o1")).toMatchObject({ state: "executing", kind: "originate" });
    // A new process on the same state, with the driver (its channels) still there.
    crash = false;
    const second = await setup(0, { state, afterExecute, driver: first.driver });
    await second.deliver(originate);
    expect(first.driver.attemptsOf("+1")).toBe(1);
    expect(second.gw.stats()).toMatchObject({ notReexecuted: 1, commandsExecuted: 0, tiesRestored: 1 });
    expect(await state.command("o1")).toMatchObject({ state: "done" });
    // An idempotent kind interrupted the same way is executed again (at least once).
    crash = true;
    await expect(second.deliver(cancel)).rejects.toThrow("process died");
    expect(await state.command("x1")).toBeUndefined();
    crash = false;
    await second.deliver(cancel);
    expect(second.gw.stats()).toMatchObject({ commandsExecuted: 1 });
    expect(await state.command("x1")).toMatchObject({ state: "done", kind: "cancel" });
  });

  it("forgets an originate the driver refused so that its redelivery runs it", async () => {
    const state = memoryGatewayState();
    const { driver, deliver, command, gw } = await setup(0, { state });
    driver.setPhone("+1", { kind: "noAnswer" });
    const refuse = driver.originate.bind(driver);
    let refusals = 1;
    driver.originate = async (req) => {
      if (refusals-- > 0) throw new Error("SIP server restarting");
      return refuse(req);
    };
    const originate = command(
      "c",
      {
        kind: "originate",
        legId: "c:leg",
        to: { kind: "phone", number: "+1" },
        callerId: "+1800",
        timeoutSec: 10,
      },
      "o1",
    );
    await expect(deliver(originate)).rejects.toThrow("driver refused originate o1");
    expect(await state.command("o1")).toBeUndefined();
    await deliver(originate);
    expect(driver.attemptsOf("+1")).toBe(1);
    expect(gw.stats()).toMatchObject({ commandsExecuted: 1, notReexecuted: 0 });
  });

  it("needs a state store or a bus connection for the default one", async () => {
    const clock = manualClock(0);
    await expect(
      start({ bus: fakeBus().bus, clock, driver: new SimulatedDriver({ clock }), gatewayId: "gw" }),
    ).rejects.toThrow(GatewayStateUnavailableError);
  });

  it("rejects a gateway id that would not be a subject token", async () => {
    const clock = manualClock(0);
    await expect(
      start({ bus: fakeBus().bus, clock, driver: new SimulatedDriver({ clock }), gatewayId: "gw.1" }),
    ).rejects.toThrow(InvalidGatewayIdError);
  });
});

/**
 * Test double (labelled): a driver that accepts every command and emits the facts the test hands it, standing
 * in for a SIP driver's REFER / DTMF transfer facts, which only a real phone produces.
 */
class ScriptedDriver implements MediaDriver {
  readonly #listeners = new Set<(e: DriverEvent) => void>();
  onEvent(l: (e: DriverEvent) => void) {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }
  emit(e: DriverEvent) {
    for (const l of this.#listeners) l(e);
  }
  async originate() {}
  async cancel() {}
  async hangup() {}
  async play() {}
  async stopPlayback() {}
  async announcePosition() {}
  async startHoldMusic() {}
  async stopHoldMusic() {}
  async bridge() {}
  async unbridge() {}
  async startRecording() {}
  async stopRecording() {}
  async recordVoicemail() {}
  async close() {}
}

describe("gateway service: transfers asked for by an agent's phone", () => {
  it("REFER / DTMF facts become RequestTransfer, CompleteTransfer and CancelTransfer on the call", async () => {
    const clock = manualClock(0);
    const driver = new ScriptedDriver();
    const fake = fakeBus();
    const gw = await start({
      bus: fake.bus,
      clock,
      driver,
      gatewayId: "gw",
      log: () => {},
      newCallId: () => "call-1",
      state: memoryGatewayState(),
      transferTargets: { "200": { kind: "group", groupId: "support" } },
    });
    driver.emit({ type: "inboundCall", channelId: "in-1", from: "+44", to: "+1800", at: 0 });
    await fake.deliver({
      commandId: "c1",
      callId: "call-1",
      callerLegId: "call-1:caller",
      command: {
        kind: "originate",
        legId: "leg-a",
        to: { kind: "sip", uri: "sip:a@x" },
        callerId: "+44",
        timeoutSec: 20,
      },
      at: 0,
    });
    driver.emit({
      type: "agentTransfer",
      channelId: "leg-a",
      action: "start",
      mode: "warm",
      target: "200",
      at: 1,
    });
    driver.emit({ type: "agentTransfer", channelId: "leg-a", action: "complete", at: 2 });
    driver.emit({ type: "agentTransfer", channelId: "leg-a", action: "cancel", at: 3 });
    driver.emit({
      type: "agentTransfer",
      channelId: "leg-a",
      action: "start",
      mode: "blind",
      target: "15550100",
      at: 4,
    });
    driver.emit({ type: "agentTransfer", channelId: "leg-a", action: "cancel", at: 5 });
    // From the caller's leg: ignored.
    driver.emit({
      type: "agentTransfer",
      channelId: "in-1",
      action: "start",
      mode: "blind",
      target: "1",
      at: 6,
    });
    await gw.flush();
    const transfers = fake.published.filter((p) => p.payload.input.type.includes("Transfer"));
    expect(transfers.map((p) => [p.msgId, p.payload.input])).toEqual([
      [
        "leg-a:xfer-1:request",
        {
          type: "RequestTransfer",
          transferId: "leg-a:xfer-1",
          mode: "warm",
          target: { kind: "group", groupId: "support" },
        },
      ],
      ["leg-a:xfer-1:complete", { type: "CompleteTransfer", transferId: "leg-a:xfer-1" }],
      [
        "leg-a:xfer-2:request",
        {
          type: "RequestTransfer",
          transferId: "leg-a:xfer-2",
          mode: "blind",
          target: { kind: "number", number: "+15550100" },
        },
      ],
      ["leg-a:xfer-2:cancel", { type: "CancelTransfer", transferId: "leg-a:xfer-2" }],
    ]);
    await gw[Symbol.asyncDispose]();
  });
});
