/// <reference lib="esnext.disposable" />
import { randomUUID } from "node:crypto";
import { type Context, ROOT_CONTEXT } from "@opentelemetry/api";
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
  decodeLegCommandMessage,
  LEG_COMMANDS,
  type LegCommandMessage,
  legCommandSubject,
  workStreams,
} from "@switchyard/contracts";
import { KeyedLock } from "@switchyard/event-store";
import type { LegCommand, TransferTarget } from "@switchyard/routing-domain";
import {
  ATTRS,
  consoleLog,
  contextOf,
  count,
  failSpan,
  inSpan,
  METRIC_ATTRS,
  type ServiceLog,
  type ServiceLogLevel,
  SPANS,
  SpanKind,
  startSpan,
} from "@switchyard/telemetry";
import type { AgentTransferEvent, DriverEvent, MediaDriver } from "./driver.js";
import {
  hasSimulationControls,
  type InboundCallScript,
  type MediaLogEntry,
  type SimulationControls,
} from "./simulation-controls.js";
import {
  type CommandRecord,
  DEFAULT_COMMAND_TTL_MS,
  type GatewayStateStore,
  type LegTie,
  openKvGatewayState,
} from "./state.js";

export type GatewayLogLevel = ServiceLogLevel;
export type GatewayLog = ServiceLog;

export interface MediaGatewayConfig {
  /** Already connected, with the deployment's prefix; `connection` and `names` for the default state. */
  readonly bus: Pick<Bus, "publish" | "ensureStreams" | "consume"> & Partial<Pick<Bus, "keyValue" | "names">>;
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
  /**
   * Leg commands executed at once, across calls (default 1 for the simulated driver, 16 otherwise). A call's
   * own commands always run one after another in the order the router decided them; with one at a time for
   * every call, one slow FreeSWITCH round trip held up every other call (the SIP load test's ceiling).
   */
  readonly commandConcurrency?: number;
  /** Executed command ids cached in memory in front of the state store (default 100,000, oldest first out). */
  readonly rememberCommands?: number;
  /**
   * Where executed command ids and leg ties survive the process (default: the KV bucket
   * `<prefix>_gw_<gatewayId>` through the bus's key-value port).
   */
  readonly state?: GatewayStateStore;
  /** How long the default KV bucket keeps a command id (default 24 h; only used when it creates the bucket). */
  readonly commandTtlMs?: number;
  /**
   * Test hook: runs after the driver accepted a command and before it is recorded `done` and acked — where
   * a crash leaves an executed command to be redelivered.
   */
  readonly afterExecute?: (message: LegCommandMessage) => Promise<void> | void;
  /**
   * What an agent's transfer target (REFER's Refer-To user, or the digits dialled after the DTMF start code)
   * means: a configured short code (`"200": {kind: "group", groupId: "support"}`), else a number — digits
   * become `+<digits>`, `+<digits>` stays as it is.
   */
  readonly transferTargets?: Readonly<Record<string, TransferTarget>>;
}

/** The transfer target an agent's phone named, as the domain's `TransferTarget`. */
export function resolveTransferTarget(
  target: string,
  codes: Readonly<Record<string, TransferTarget>> = {},
): TransferTarget {
  const known = codes[target];
  if (known) return known;
  return { kind: "number", number: target.startsWith("+") ? target : `+${target}` };
}

export interface GatewayStats {
  readonly commandsExecuted: number;
  readonly duplicateCommands: number;
  readonly inboundCalls: number;
  readonly factsPublished: number;
  readonly publishRetries: number;
  /** At-most-once commands found `executing` on redelivery (a crash between execute and ack): skipped. */
  readonly notReexecuted: number;
  /** Legs owned before a restart whose channels were gone, reported ended `failed` (or the call hung up). */
  readonly legsReportedLost: number;
  /** Legs owned before a restart whose channels survived, driven on. */
  readonly tiesRestored: number;
  /** Inbound calls refused because the gateway was shutting down. */
  readonly refusedWhileClosing: number;
}

export interface InboundCall {
  readonly callId: string;
  readonly channelId: string;
}

export interface MediaGateway extends AsyncDisposable {
  readonly gatewayId: string;
  readonly driver: MediaDriver;
  /** The driver when its phones and callers are code (the simulator): phones, callers, media log. */
  readonly simulated: (MediaDriver & SimulationControls) | undefined;
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
  /**
   * Drains for shutdown (SIGTERM): new inbound calls are refused from now on (the driver's 503; the gateway
   * hangs up any that is still reported), the calls up are left to finish — leg commands keep being
   * executed and facts published, the routers are still running — until `deadlineMs` of real time (the
   * pod's termination grace is wall-clock time), then every leg still up is hung up and its end published,
   * so the routers end those calls. Resolves when that is done; dispose afterwards to stop. Calling it again
   * returns the same drain.
   */
  drain(options: DrainOptions): Promise<DrainReport>;
}

export interface DrainOptions {
  /** How long calls in progress may go on to finish by themselves, in ms of real time. */
  readonly deadlineMs: number;
  /** After the deadline: how long to wait for the hung-up legs' ends to be reported (default 3 s). */
  readonly endGraceMs?: number;
}

export interface DrainReport {
  /** Calls up (a leg not ended) when the drain started. */
  readonly callsAtStart: number;
  /** Of those, the calls that ended by themselves before the deadline. */
  readonly finished: number;
  /** The calls still up at the deadline, whose legs the gateway hung up. */
  readonly endedAtDeadline: number;
  /** Of those, calls with a leg whose end the driver had not reported within the grace. */
  readonly stillUp: number;
}

/** The gateway id would not make a valid subject token or consumer name. */
export class InvalidGatewayIdError extends Error {
  override readonly name = "InvalidGatewayIdError";
  constructor(readonly gatewayId: string) {
    super(`invalid gateway id ${JSON.stringify(gatewayId)}: use letters, digits, "_" and "-"`);
  }
}

/** No state store was given and the bus has no connection to open the default KV bucket with. */
export class GatewayStateUnavailableError extends Error {
  override readonly name = "GatewayStateUnavailableError";
  constructor(readonly gatewayId: string) {
    super(`gateway ${gatewayId}: no state store given and the bus has no connection for the KV bucket`);
  }
}

/**
 * Commands executed at most once: a redelivery that finds one recorded `executing` (the gateway died between
 * executing it and acking it) does not run it again — a second originate would ring a phone twice. Every other
 * kind is executed at least once: cancel, hang-up, stop-hold-music, unbridge and stop-recording are idempotent
 * (on an ended or unknown channel they are ignored), and play / announce / hold music / bridge / recording on
 * a channel that died with the process are ignored too, so re-running them after a crash is harmless.
 */
const AT_MOST_ONCE: ReadonlySet<LegCommand["kind"]> = new Set(["originate"]);

/** The operation needs the simulated driver. */
export class NotSimulatedError extends Error {
  override readonly name = "NotSimulatedError";
  constructor(what: string) {
    super(`${what} needs the simulated driver`);
  }
}

const defaultLog: GatewayLog = consoleLog();

interface ChannelRef {
  readonly callId: string;
  legId?: string;
  readonly caller: boolean;
  dtmf: number;
  /** DTMF message ids; a channel restored after a restart gets a fresh namespace (its count was lost). */
  dtmfPrefix: string;
  /** Transfers this agent leg asked for (ids `<legId>:xfer-[<boot>-]<n>`). */
  transfers: number;
  transferPrefix: string;
  ended: boolean;
  tie: LegTie;
  /** The tie's state writes, in order (a put must land before the delete of a leg that ended quickly). */
  writes: Promise<void>;
}

export async function start(config: MediaGatewayConfig): Promise<MediaGateway> {
  const { bus, driver, gatewayId, clock } = config;
  if (!/^[A-Za-z0-9_-]+$/.test(gatewayId)) throw new InvalidGatewayIdError(gatewayId);
  const log = config.log ?? defaultLog;
  const newCallId = config.newCallId ?? randomUUID;
  const remember = config.rememberCommands ?? 100_000;
  await bus.ensureStreams([deadLetterStreamSpec(), ...workStreams()]);
  let state = config.state;
  if (!state) {
    if (!bus.keyValue || !bus.names) throw new GatewayStateUnavailableError(gatewayId);
    state = await openKvGatewayState({ keyValue: bus.keyValue.bind(bus), names: bus.names }, gatewayId, {
      ttlMs: config.commandTtlMs ?? DEFAULT_COMMAND_TTL_MS,
    });
  }
  const store: GatewayStateStore = state;

  const channels = new Map<string, ChannelRef>();
  const legChannels = new Map<string, string>();
  const callerChannels = new Map<string, string>();
  const executed = new Set<string>();
  const pending = new Set<Promise<unknown>>();
  let closed = false;
  /** Set first thing on dispose. */
  let closing = false;
  /** Set first thing on drain or dispose: inbound calls are refused from then on. */
  let refusing = false;
  /** While draining: told whenever a leg ends. */
  let onLegEnded: (() => void) | undefined;
  const counts = {
    commandsExecuted: 0,
    duplicateCommands: 0,
    inboundCalls: 0,
    factsPublished: 0,
    publishRetries: 0,
    notReexecuted: 0,
    legsReportedLost: 0,
    tiesRestored: 0,
    refusedWhileClosing: 0,
  };

  function track<T>(p: Promise<T>): Promise<T> {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  }

  const backoffMs = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 5_000);
  const describeError = (err: unknown) => (err instanceof Error ? err.message : String(err));

  // One trace per call: the inbound call's span is its root; each leg command continues the trace it came
  // with, and the leg's facts (ringing, answered, ended...) are published under the last command for that
  // leg (else for the call), so the router's next decision joins the same trace.
  const traces = new Map<string, Context>();
  const MAX_TRACES = 100_000;
  const rememberTrace = (key: string, ctx: Context) => {
    traces.delete(key);
    traces.set(key, ctx);
    if (traces.size > MAX_TRACES) {
      const oldest = traces.keys().next().value;
      if (oldest !== undefined) traces.delete(oldest);
    }
  };

  /** Resolves true once published, false when the gateway closed first. */
  async function publishWithRetry(message: CallInputMessage, trace: Context): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await bus.publish(callInputSubject(message.callId), message, {
          msgId: message.messageId,
          context: trace,
        });
        counts.factsPublished++;
        return true;
      } catch (err) {
        if (closed) {
          log("warn", "fact not published: gateway closing", { messageId: message.messageId });
          return false;
        }
        counts.publishRetries++;
        log("warn", "publishing a fact failed, retrying", {
          messageId: message.messageId,
          attempt,
          error: describeError(err),
        });
        // Infrastructure back-off in real time; the message id makes the retry safe.
        await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      }
    }
  }

  function publish(callId: string, messageId: string, input: CallInput, at: number): Promise<boolean> {
    const root = input.type === "StartCall";
    const legId = "legId" in input ? input.legId : undefined;
    const span = startSpan(root ? SPANS.gatewayInboundCall : SPANS.gatewayLegFact, "media-gateway", {
      kind: SpanKind.PRODUCER,
      parent: root
        ? ROOT_CONTEXT
        : ((legId === undefined ? undefined : traces.get(legId)) ?? traces.get(callId) ?? ROOT_CONTEXT),
      attributes: {
        [ATTRS.callId]: callId,
        [ATTRS.legFact]: input.type,
        ...(legId === undefined ? {} : { [ATTRS.legId]: legId }),
        ...(input.type === "LegEnded" ? { [ATTRS.legEndReason]: input.reason } : {}),
      },
    });
    const ctx = contextOf(span, ROOT_CONTEXT);
    if (root) rememberTrace(callId, ctx);
    const published = track(publishWithRetry({ messageId, callId, input, at, gatewayId }, ctx));
    void published.then(
      (ok) => (ok ? span.end() : failSpan(span, new Error("not published: gateway closing"))),
      (err: unknown) => failSpan(span, err),
    );
    return published;
  }

  /** A background state write: retried until it lands or the gateway closes (the next start reconciles). */
  async function writeWithRetry(what: string, write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        return;
      } catch (err) {
        if (closed) {
          log("warn", `gateway state not written: gateway closing (${what})`);
          return;
        }
        log("warn", "writing gateway state failed, retrying", { what, attempt, error: describeError(err) });
        await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      }
    }
  }

  /** Queues a write of this channel's tie behind its earlier ones; the returned promise carries its outcome. */
  function tieWrite(ref: ChannelRef, write: () => Promise<void>): Promise<void> {
    const p = ref.writes.then(write);
    ref.writes = p.catch(() => undefined);
    return p;
  }

  const inboundPublished = new Map<string, Promise<boolean>>();

  function onDriverEvent(event: DriverEvent): void {
    if (event.type === "inboundCall") {
      if (refusing) {
        // Shutting down (SIGTERM): no new calls here. The caller is refused at once rather than left to a
        // gateway that is about to go; the calls already up keep their commands until the consumer stops.
        counts.refusedWhileClosing++;
        log("warn", "inbound call refused: gateway shutting down", { channelId: event.channelId });
        void driver.hangup(event.channelId, "gateway shutting down").catch(() => undefined);
        return;
      }
      const callId = newCallId();
      const tie: LegTie = { callId, channelId: event.channelId, caller: true };
      const ref: ChannelRef = {
        callId,
        caller: true,
        dtmf: 0,
        dtmfPrefix: `${callId}:dtmf-`,
        transfers: 0,
        transferPrefix: "",
        ended: false,
        tie,
        writes: Promise.resolve(),
      };
      channels.set(event.channelId, ref);
      callerChannels.set(callId, event.channelId);
      counts.inboundCalls++;
      // Started before StartCall on the same connection, so it normally lands first; not awaited, to keep the
      // call's facts in order. A crash in that instant loses the tie (the call is then never told).
      ref.writes = track(writeWithRetry(`tie ${callId}`, () => store.putTie(tie)));
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
      case "ended": {
        ref.ended = true;
        onLegEnded?.();
        const published = legId
          ? publish(callId, `${legId}:ended`, { type: "LegEnded", legId, reason: event.reason }, event.at)
          : // The caller left before the router said anything about the call: end it as a whole.
            publish(callId, `${callId}:callerHungUp`, { type: "HangUp", reason: "callerHungUp" }, event.at);
        // The leg's trace is no longer needed once its end is reported (the span took its parent already).
        if (legId) traces.delete(legId);
        if (ref.caller) traces.delete(callId);
        // The tie goes once the call knows: a crash before that leaves it for the next start to report.
        const tie = ref.tie;
        track(
          tieWrite(ref, async () => {
            if (await published) await writeWithRetry(`untie ${callId}`, () => store.deleteTie(tie));
          }),
        );
        return;
      }
      case "dtmf":
        if (!ref.caller) {
          log("info", "dtmf on a non-caller leg ignored", { callId, channelId: event.channelId });
          return;
        }
        ref.dtmf++;
        publish(
          callId,
          `${ref.dtmfPrefix}${ref.dtmf}`,
          { type: "DtmfReceived", digit: event.digit },
          event.at,
        );
        return;
      case "playbackFinished":
        publish(
          callId,
          `${event.playbackId}:finished`,
          { type: "PlaybackFinished", playbackId: event.playbackId },
          event.at,
        );
        return;
      case "agentTransfer":
        onAgentTransfer(ref, event);
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

  /** The call's transfer started from an agent's phone (DTMF or REFER), by call: complete/cancel name it. */
  const phoneTransfers = new Map<string, string>();

  function onAgentTransfer(ref: ChannelRef, event: AgentTransferEvent): void {
    const { callId, legId } = ref;
    if (ref.caller || !legId) {
      log("info", "transfer request from a caller leg ignored", { callId, channelId: event.channelId });
      return;
    }
    if (event.action === "start") {
      ref.transfers++;
      const transferId = `${ref.transferPrefix || `${legId}:xfer-`}${ref.transfers}`;
      phoneTransfers.set(callId, transferId);
      const target = resolveTransferTarget(event.target, config.transferTargets);
      publish(
        callId,
        `${transferId}:request`,
        { type: "RequestTransfer", transferId, mode: event.mode, target },
        event.at,
      );
      return;
    }
    const transferId = phoneTransfers.get(callId);
    if (!transferId) {
      // A transfer started from the dashboard has an id this gateway never saw.
      log("warn", `DTMF ${event.action} of a transfer this gateway did not start: ignored`, {
        callId,
        legId,
      });
      return;
    }
    phoneTransfers.delete(callId);
    const type = event.action === "complete" ? "CompleteTransfer" : "CancelTransfer";
    publish(callId, `${transferId}:${event.action}`, { type, transferId }, event.at);
  }

  /**
   * The legs a previous process of this gateway owned: those whose channel survived are driven on, the
   * others are reported to their calls as ended `failed` (a caller not yet tied to a leg: the call hung up)
   * so that the router falls back or ends the call instead of waiting for facts that will never come.
   */
  async function reconcile(ties: readonly LegTie[]): Promise<void> {
    const bootTag = randomUUID().slice(0, 8);
    for (const tie of ties) {
      const alive = (await driver.channelExists?.(tie.channelId)) ?? false;
      const ref: ChannelRef = {
        callId: tie.callId,
        caller: tie.caller,
        dtmf: 0,
        dtmfPrefix: `${tie.callId}:dtmf-${bootTag}-`,
        transfers: 0,
        transferPrefix: `${tie.legId ?? tie.channelId}:xfer-${bootTag}-`,
        ended: !alive,
        tie,
        writes: Promise.resolve(),
        ...(tie.legId === undefined ? {} : { legId: tie.legId }),
      };
      if (alive) {
        channels.set(tie.channelId, ref);
        if (tie.legId) legChannels.set(tie.legId, tie.channelId);
        if (tie.caller) callerChannels.set(tie.callId, tie.channelId);
        counts.tiesRestored++;
        continue;
      }
      counts.legsReportedLost++;
      log("warn", "a leg owned before the restart is gone: reported failed", { ...tie });
      const at = clock.now();
      // Same message ids as the facts they stand for: if the real one was published, this one is dropped.
      const published = tie.legId
        ? publish(
            tie.callId,
            `${tie.legId}:ended`,
            { type: "LegEnded", legId: tie.legId, reason: "failed" },
            at,
          )
        : publish(tie.callId, `${tie.callId}:callerHungUp`, { type: "HangUp", reason: "gatewayLost" }, at);
      track(
        tieWrite(ref, async () => {
          if (await published) await writeWithRetry(`untie ${tie.callId}`, () => store.deleteTie(tie));
        }),
      );
    }
  }

  // Before the driver's events and the commands: a restored tie must be in place when its commands arrive.
  await reconcile(await store.ties());
  const unsubscribe = driver.onEvent(onDriverEvent);

  const channelOf = (legId: string) => legChannels.get(legId) ?? legId;

  async function tieCallerLeg(message: LegCommandMessage): Promise<void> {
    const channelId = callerChannels.get(message.callId);
    if (!channelId || legChannels.has(message.callerLegId)) return;
    const ref = channels.get(channelId);
    if (!ref || ref.legId) return;
    ref.legId = message.callerLegId;
    legChannels.set(message.callerLegId, channelId);
    const untied = ref.tie;
    const tie: LegTie = { ...untied, legId: message.callerLegId };
    ref.tie = tie;
    if (ref.ended) {
      // The caller left before the router named its leg: the call was told by a HangUp without a leg id, which
      // the router may have refused (decided before its StartCall). Say it again under the leg's id, so the
      // call ends whatever became of that HangUp (a duplicate is harmless: the call has ended).
      publish(
        message.callId,
        `${message.callerLegId}:ended`,
        { type: "LegEnded", legId: message.callerLegId, reason: "hungUp" },
        clock.now(),
      );
      return;
    }
    try {
      // Durable before the command runs: its facts will carry this leg id, so must a restart.
      await tieWrite(ref, () => store.putTie(tie));
    } catch (err) {
      // Untie in memory too, so that the redelivery writes it again.
      ref.tie = untied;
      delete ref.legId;
      legChannels.delete(message.callerLegId);
      throw err;
    }
  }

  async function prepareOriginate(message: LegCommandMessage, legId: string): Promise<void> {
    let ref = channels.get(legId);
    if (!ref) {
      const tie: LegTie = { callId: message.callId, channelId: legId, legId, caller: false };
      ref = {
        callId: message.callId,
        legId,
        caller: false,
        dtmf: 0,
        dtmfPrefix: `${message.callId}:dtmf-`,
        transfers: 0,
        transferPrefix: `${legId}:xfer-`,
        ended: false,
        tie,
        writes: Promise.resolve(),
      };
      channels.set(legId, ref);
      legChannels.set(legId, legId);
    }
    const tie = ref.tie;
    await tieWrite(ref, () => store.putTie(tie));
  }

  async function execute(message: LegCommandMessage): Promise<void> {
    const c: LegCommand = message.command;
    switch (c.kind) {
      case "originate":
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
      case "stopPlayback":
        return driver.stopPlayback(channelOf(c.legId), c.playbackId);
      case "announcePosition":
        return driver.announcePosition(channelOf(c.legId), c.playbackId, c.position, c.expectedWaitSec);
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

  function rememberExecuted(commandId: string): void {
    executed.add(commandId);
    if (executed.size > remember) {
      const oldest = executed.values().next().value;
      if (oldest !== undefined) executed.delete(oldest);
    }
  }

  /** A state store failure: the command is redelivered (it has not run, or is recorded as running). */
  async function stateStep<T>(what: string, message: LegCommandMessage, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      throw new TransientError(`gateway state unavailable (${what}) for ${message.commandId}`, {
        cause: err,
      });
    }
  }

  /** A leg command in a `gateway.leg_command` span under the decision that sent it. */
  function tracedHandle(m: BusMessage<LegCommandMessage>): Promise<void> {
    const { command, callId } = m.payload;
    const legId = "legId" in command ? command.legId : undefined;
    const span = startSpan(SPANS.gatewayLegCommand, "media-gateway", {
      kind: SpanKind.CONSUMER,
      parent: m.context,
      attributes: {
        [ATTRS.callId]: callId,
        [ATTRS.legCommand]: command.kind,
        [ATTRS.delivery]: m.info.deliveryCount,
        ...(legId === undefined ? {} : { [ATTRS.legId]: legId }),
      },
    });
    const ctx = contextOf(span, m.context);
    rememberTrace(legId ?? callId, ctx);
    if (!traces.has(callId)) rememberTrace(callId, ctx);
    return inSpan(span, () => handle(m)).then(() =>
      count("legCommands", 1, { [METRIC_ATTRS.kind]: command.kind }),
    );
  }

  async function handle(m: BusMessage<LegCommandMessage>): Promise<void> {
    const message = m.payload;
    const { commandId, command } = message;
    if (executed.has(commandId)) {
      counts.duplicateCommands++;
      return;
    }
    const atMostOnce = AT_MOST_ONCE.has(command.kind);
    const running: CommandRecord = { state: "executing", kind: command.kind, callId: message.callId };
    const prior = await stateStep("look-up", message, () =>
      atMostOnce ? store.beginCommand(commandId, running) : store.command(commandId),
    );
    if (prior?.state === "done") {
      rememberExecuted(commandId);
      counts.duplicateCommands++;
      return;
    }
    if (prior?.state === "executing" && atMostOnce) {
      // It may have run (the crash came after the driver accepted it): never twice. Its leg tie was written
      // before it ran, so a restart reports the leg failed when its channel is gone.
      log("warn", "command interrupted before its ack is not executed again", {
        commandId,
        kind: command.kind,
        deliveryCount: m.info.deliveryCount,
      });
      await stateStep("done", message, () => store.putCommand(commandId, { ...running, state: "done" }));
      rememberExecuted(commandId);
      counts.notReexecuted++;
      return;
    }
    await stateStep("caller tie", message, () => tieCallerLeg(message));
    if (command.kind === "originate")
      await stateStep("leg tie", message, () => prepareOriginate(message, command.legId));
    try {
      await execute(message);
    } catch (err) {
      // The driver did not take it: forget "executing" so that the redelivery runs it.
      if (atMostOnce) await stateStep("forget", message, () => store.forgetCommand(commandId));
      throw new TransientError(`driver refused ${command.kind} ${commandId}`, { cause: err });
    }
    await config.afterExecute?.(message);
    await stateStep("done", message, () => store.putCommand(commandId, { ...running, state: "done" }));
    rememberExecuted(commandId);
    counts.commandsExecuted++;
  }

  // Per-call order: each call's commands wait for the previous command of the same call. Messages reach the
  // handler in stream order, so the chain per call is in the router's order.
  const callLocks = new KeyedLock();
  const inCallOrder = (m: BusMessage<LegCommandMessage>): Promise<void> =>
    callLocks.run(m.payload.callId, () => tracedHandle(m));
  const commandConcurrency = Math.max(1, config.commandConcurrency ?? driver.commandConcurrency ?? 16);

  let consumer: ConsumerHandle;
  try {
    consumer = await bus.consume<LegCommandMessage>({
      stream: LEG_COMMANDS,
      durable: `media-gateway-${gatewayId}`,
      filterSubject: legCommandSubject(gatewayId),
      maxDeliver: config.maxDeliver ?? 5,
      ackWaitMs: config.ackWaitMs ?? 30_000,
      concurrency: commandConcurrency,
      decode: decodeLegCommandMessage,
      handler: commandConcurrency === 1 ? tracedHandle : inCallOrder,
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
  log("info", "media gateway started", { gatewayId, ...counts });

  const simulated = hasSimulationControls(driver) ? driver : undefined;

  const flush = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  /** The calls with a leg up here. */
  const callsUp = () => {
    const calls = new Set<string>();
    for (const ref of channels.values()) if (!ref.ended) calls.add(ref.callId);
    return calls;
  };
  /** Resolves once no call has a leg up, or after `ms` (real time); true when none is up. */
  const noCallsUp = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        onLegEnded = undefined;
        resolve(false);
      }, ms);
      const check = () => {
        if (callsUp().size > 0) return;
        clearTimeout(timer);
        onLegEnded = undefined;
        resolve(true);
      };
      onLegEnded = check;
      check();
    });

  let draining: Promise<DrainReport> | undefined;
  const drain = async ({ deadlineMs, endGraceMs = 3_000 }: DrainOptions): Promise<DrainReport> => {
    refusing = true;
    driver.refuseNewCalls?.();
    const atStart = callsUp();
    log("info", "media gateway draining: new calls refused", {
      gatewayId,
      callsUp: atStart.size,
      deadlineSec: deadlineMs / 1000,
    });
    await noCallsUp(deadlineMs);
    const left = callsUp();
    if (left.size > 0) {
      log("warn", "drain deadline: hanging up the calls still up", { gatewayId, calls: left.size });
      for (const [channelId, ref] of channels)
        if (!ref.ended)
          void driver
            .hangup(channelId, "gateway shutting down")
            .catch((err: unknown) =>
              log("warn", "hang-up at the drain deadline failed", { channelId, error: describeError(err) }),
            );
      await noCallsUp(endGraceMs);
    }
    // The ends reported (ours and the calls that finished) reach the routers before the gateway stops.
    await flush();
    const report: DrainReport = {
      callsAtStart: atStart.size,
      finished: [...atStart].filter((c) => !left.has(c)).length,
      endedAtDeadline: left.size,
      stillUp: callsUp().size,
    };
    log("info", "media gateway drained", { gatewayId, ...report });
    return report;
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
    drain(options) {
      draining ??= drain(options);
      return draining;
    },
    async [Symbol.asyncDispose]() {
      if (closed || closing) return;
      closing = true;
      refusing = true;
      await consumer.stop();
      unsubscribe();
      // Publishes still failing give up after their current attempt rather than hold the shutdown.
      closed = true;
      await flush();
      log("info", "media gateway stopped", { gatewayId, ...counts });
    },
  };
}
