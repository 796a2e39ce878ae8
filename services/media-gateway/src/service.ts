/// <reference lib="esnext.disposable" />
import { randomUUID } from "node:crypto";
import {
  type Bus,
  type BusMessage,
  type ConsumerHandle,
  deadLetterStreamSpec,
  TransientError,
} from "@switchyard/bus";
import type { Clock } from "@switchyard/clock";
import {
  type CallInput,
  type CallInputMessage,
  callInputSubject,
  LEG_COMMANDS,
  type LegCommandMessage,
  legCommandSubject,
  workStreams,
} from "@switchyard/contracts";
import type { LegCommand } from "@switchyard/routing-domain";
import { decodeLegCommandMessage } from "./decode.js";
import type { DriverEvent, MediaDriver } from "./driver.js";
import type { InboundCallScript } from "./simulated/scripts.js";
import { type MediaLogEntry, SimulatedDriver } from "./simulated/simulated-driver.js";

export type GatewayLogLevel = "info" | "warn" | "error";
export type GatewayLog = (
  level: GatewayLogLevel,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

export interface MediaGatewayConfig {
  /** Already connected, with the deployment's prefix. */
  readonly bus: Pick<Bus, "publish" | "ensureStreams" | "consume">;
  /** The platform clock; the driver must run on the same one (facts carry the driver's readings). */
  readonly clock: Clock;
  /** Already opened; the gateway does not close it. */
  readonly driver: MediaDriver;
  /** Leg commands for this gateway arrive on `legcmd.<gatewayId>`. Letters, digits, `_` and `-`. */
  readonly gatewayId: string;
  readonly log?: GatewayLog;
  /** Ids for new inbound calls (default random UUIDs). */
  readonly newCallId?: () => string;
  /** Deliveries of one command before it is dead-lettered (default 5). */
  readonly maxDeliver?: number;
  readonly ackWaitMs?: number;
  /** Executed command ids remembered for deduplication (default 100,000, oldest forgotten first). */
  readonly rememberCommands?: number;
}

export interface GatewayStats {
  readonly commandsExecuted: number;
  readonly duplicateCommands: number;
  readonly inboundCalls: number;
  readonly factsPublished: number;
  readonly publishRetries: number;
}

export interface InboundCall {
  readonly callId: string;
  readonly channelId: string;
}

export interface MediaGateway extends AsyncDisposable {
  readonly gatewayId: string;
  readonly driver: MediaDriver;
  /** The driver when it is the simulated one (phones, callers, media log). */
  readonly simulated: SimulatedDriver | undefined;
  /** Simulated driver only: a caller dials in; resolves once the call's StartCall was published. */
  placeInboundCall(script: InboundCallScript): Promise<InboundCall>;
  /** The driver channel of a leg (the inbound channel for a call's caller leg once tied). */
  channelOf(legId: string): string;
  callOfChannel(channelId: string): string | undefined;
  /** Simulated driver only: the media log of a leg (by leg id or channel id). */
  mediaLog(legId: string): MediaLogEntry[];
  stats(): GatewayStats;
  /** Resolves when every fact reported so far has been published. */
  flush(): Promise<void>;
}

/** The gateway id would not make a valid subject token or consumer name. */
export class InvalidGatewayIdError extends Error {
  override readonly name = "InvalidGatewayIdError";
  constructor(readonly gatewayId: string) {
    super(`invalid gateway id ${JSON.stringify(gatewayId)}: use letters, digits, "_" and "-"`);
  }
}

/** The operation needs the simulated driver. */
export class NotSimulatedError extends Error {
  override readonly name = "NotSimulatedError";
  constructor(what: string) {
    super(`${what} needs the simulated driver`);
  }
}

const defaultLog: GatewayLog = (level, message, fields) => {
  const line = JSON.stringify({ level, msg: message, ...fields });
  if (level === "info") console.log(line);
  else console.error(line);
};

interface ChannelRef {
  readonly callId: string;
  legId?: string;
  readonly caller: boolean;
  dtmf: number;
}

export async function start(config: MediaGatewayConfig): Promise<MediaGateway> {
  const { bus, driver, gatewayId } = config;
  if (!/^[A-Za-z0-9_-]+$/.test(gatewayId)) throw new InvalidGatewayIdError(gatewayId);
  const log = config.log ?? defaultLog;
  const newCallId = config.newCallId ?? randomUUID;
  const remember = config.rememberCommands ?? 100_000;
  await bus.ensureStreams([deadLetterStreamSpec(), ...workStreams()]);

  const channels = new Map<string, ChannelRef>();
  const legChannels = new Map<string, string>();
  const callerChannels = new Map<string, string>();
  const executed = new Set<string>();
  const pending = new Set<Promise<void>>();
  let closed = false;
  const counts = {
    commandsExecuted: 0,
    duplicateCommands: 0,
    inboundCalls: 0,
    factsPublished: 0,
    publishRetries: 0,
  };

  async function publishWithRetry(message: CallInputMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await bus.publish(callInputSubject(message.callId), message, { msgId: message.messageId });
        counts.factsPublished++;
        return;
      } catch (err) {
        if (closed) {
          log("warn", "fact not published: gateway closing", { messageId: message.messageId });
          return;
        }
        counts.publishRetries++;
        log("warn", "publishing a fact failed, retrying", {
          messageId: message.messageId,
          attempt,
          error: err instanceof Error ? err.message : String(err),
        });
        // Infrastructure back-off in real time; the message id makes the retry safe.
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** (attempt - 1), 5_000)));
      }
    }
  }

  function publish(callId: string, messageId: string, input: CallInput, at: number): Promise<void> {
    const p = publishWithRetry({ messageId, callId, input, at, gatewayId });
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  }

  const inboundPublished = new Map<string, Promise<void>>();

  function onDriverEvent(event: DriverEvent): void {
    if (event.type === "inboundCall") {
      const callId = newCallId();
      channels.set(event.channelId, { callId, caller: true, dtmf: 0 });
      callerChannels.set(callId, event.channelId);
      counts.inboundCalls++;
      const p = publish(
        callId,
        `${callId}:start`,
        { type: "StartCall", callId, from: event.from, to: event.to },
        event.at,
      );
      inboundPublished.set(event.channelId, p);
      void p.finally(() => inboundPublished.delete(event.channelId));
      return;
    }
    const ref = channels.get(event.channelId);
    if (!ref) {
      log("warn", "driver fact for an unknown channel", { event });
      return;
    }
    const { callId, legId } = ref;
    switch (event.type) {
      case "ringing":
      case "answered":
        if (legId) {
          const type = event.type === "ringing" ? "LegRinging" : "LegAnswered";
          publish(callId, `${legId}:${event.type}`, { type, legId }, event.at);
        }
        return;
      case "ended":
        if (legId)
          publish(callId, `${legId}:ended`, { type: "LegEnded", legId, reason: event.reason }, event.at);
        // The caller left before the router said anything about the call: end it as a whole.
        else publish(callId, `${callId}:callerHungUp`, { type: "HangUp", reason: "callerHungUp" }, event.at);
        return;
      case "dtmf":
        if (!ref.caller) {
          log("info", "dtmf on a non-caller leg ignored", { callId, channelId: event.channelId });
          return;
        }
        ref.dtmf++;
        publish(callId, `${callId}:dtmf-${ref.dtmf}`, { type: "DtmfReceived", digit: event.digit }, event.at);
        return;
      case "playbackFinished":
        publish(
          callId,
          `${event.playbackId}:finished`,
          { type: "PlaybackFinished", playbackId: event.playbackId },
          event.at,
        );
        return;
      case "recordingFinished":
        publish(
          callId,
          `${event.recordingId}:finished`,
          { type: "RecordingFinished", recordingId: event.recordingId },
          event.at,
        );
        return;
      default: {
        const unknown: never = event;
        log("warn", "unknown driver fact", { event: unknown });
      }
    }
  }

  const unsubscribe = driver.onEvent(onDriverEvent);

  const channelOf = (legId: string) => legChannels.get(legId) ?? legId;

  function tieCallerLeg(message: LegCommandMessage): void {
    const channelId = callerChannels.get(message.callId);
    if (!channelId || legChannels.has(message.callerLegId)) return;
    const ref = channels.get(channelId);
    if (!ref || ref.legId) return;
    ref.legId = message.callerLegId;
    legChannels.set(message.callerLegId, channelId);
  }

  async function execute(message: LegCommandMessage): Promise<void> {
    const c: LegCommand = message.command;
    switch (c.kind) {
      case "originate":
        channels.set(c.legId, { callId: message.callId, legId: c.legId, caller: false, dtmf: 0 });
        legChannels.set(c.legId, c.legId);
        return driver.originate({
          channelId: c.legId,
          to: c.to,
          callerId: c.callerId,
          timeoutSec: c.timeoutSec,
        });
      case "cancel":
        return driver.cancel(channelOf(c.legId), c.reason);
      case "hangup":
        return driver.hangup(channelOf(c.legId), c.reason);
      case "playHoldMusic":
        return driver.startHoldMusic(channelOf(c.legId), c.audio);
      case "stopHoldMusic":
        return driver.stopHoldMusic(channelOf(c.legId));
      case "play":
        return driver.play(channelOf(c.legId), c.playbackId, c.audio);
      case "announcePosition":
        return driver.announcePosition(channelOf(c.legId), c.playbackId, c.position);
      case "bridge":
        return driver.bridge(channelOf(c.legIds[0]), channelOf(c.legIds[1]));
      case "unbridge":
        return driver.unbridge(channelOf(c.legIds[0]), channelOf(c.legIds[1]));
      case "startRecording":
        return driver.startRecording(c.recordingId, c.legIds.map(channelOf));
      case "stopRecording":
        return driver.stopRecording(c.recordingId);
      case "recordVoicemail":
        return driver.recordVoicemail(c.recordingId, channelOf(c.legId), c.maxLengthSec);
      default: {
        const unknown: never = c;
        throw new Error(`unknown leg command ${JSON.stringify(unknown)}`);
      }
    }
  }

  async function handle(m: BusMessage<LegCommandMessage>): Promise<void> {
    const message = m.payload;
    if (executed.has(message.commandId)) {
      counts.duplicateCommands++;
      return;
    }
    tieCallerLeg(message);
    try {
      await execute(message);
    } catch (err) {
      throw new TransientError(`driver refused ${message.command.kind} ${message.commandId}`, { cause: err });
    }
    executed.add(message.commandId);
    if (executed.size > remember) {
      const oldest = executed.values().next().value;
      if (oldest !== undefined) executed.delete(oldest);
    }
    counts.commandsExecuted++;
  }

  let consumer: ConsumerHandle;
  try {
    consumer = await bus.consume<LegCommandMessage>({
      stream: LEG_COMMANDS,
      durable: `media-gateway-${gatewayId}`,
      filterSubject: legCommandSubject(gatewayId),
      maxDeliver: config.maxDeliver ?? 5,
      ackWaitMs: config.ackWaitMs ?? 30_000,
      // One at a time: a call's commands must reach the driver in the order the router decided them.
      concurrency: 1,
      decode: decodeLegCommandMessage,
      handler: handle,
      onError: (err, info, outcome) =>
        log(outcome === "dead-letter" ? "error" : "warn", `leg command ${outcome}`, {
          subject: info.subject,
          streamSequence: info.streamSequence,
          deliveryCount: info.deliveryCount,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        }),
    });
  } catch (err) {
    unsubscribe();
    throw err;
  }
  log("info", "media gateway started", { gatewayId });

  const simulated = driver instanceof SimulatedDriver ? driver : undefined;

  const flush = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  return {
    gatewayId,
    driver,
    simulated,
    async placeInboundCall(script) {
      if (!simulated) throw new NotSimulatedError("placeInboundCall");
      const channelId = simulated.placeInboundCall(script);
      const callId = channels.get(channelId)?.callId;
      if (!callId) throw new Error(`inbound channel ${channelId} was not reported`);
      await inboundPublished.get(channelId);
      return { callId, channelId };
    },
    channelOf,
    callOfChannel: (channelId) => channels.get(channelId)?.callId,
    mediaLog(legId) {
      if (!simulated) throw new NotSimulatedError("mediaLog");
      return simulated.mediaLog(channelOf(legId));
    },
    stats: () => ({ ...counts }),
    flush,
    async [Symbol.asyncDispose]() {
      if (closed) return;
      await consumer.stop();
      unsubscribe();
      // Publishes still failing give up after their current attempt rather than hold the shutdown.
      closed = true;
      await flush();
      log("info", "media gateway stopped", { gatewayId, ...counts });
    },
  };
}
