// A recorded day, from the event log: the traffic that produced it (arrivals, what callers pressed, talk
// times, patience) and the behaviour of the agents (sign-in timeline, answer delays, misses), as a traffic
// model the simulator can run again under the recorded configuration or another one.

import type { TransferTarget } from "@switchyard/routing-domain";
import {
  CONFIG_STREAM,
  type ConfigEvent,
  type ConfigSnapshot,
  EMPTY_CONFIG,
  evolveConfig,
  MISSED_OFFERS_BREAK,
} from "@switchyard/routing-domain";
import type { Distribution } from "./distributions.js";
import type { LoggedEvent } from "./statistics.js";
import {
  type AgentBehaviour,
  DEFAULT_AGENT,
  DEFAULT_CALLER,
  type PhoneAction,
  type RecordedCall,
  type RecordedTransfer,
  type TimelineEntry,
  type TrafficModel,
  transferTargetText,
} from "./traffic.js";

export interface ExtractOptions {
  /** The period's start and end (epoch ms): calls that arrived in [from, to). */
  readonly from: number;
  readonly to: number;
  readonly seed?: string;
  readonly serviceLevelSec?: number;
}

export interface ExtractedDay {
  /** The configuration the day's calls were routed with (the config stream at their latest config version). */
  readonly config: ConfigSnapshot;
  readonly traffic: TrafficModel;
  /** What the fits were made from, for the report. */
  readonly summary: {
    readonly calls: number;
    readonly answered: number;
    readonly abandoned: number;
    readonly rings: number;
    readonly talkTime: Distribution;
    readonly patience?: Distribution;
  };
}

/** The recorded period holds no call, or no configuration: nothing to re-run. */
export class NothingRecordedError extends Error {
  override readonly name = "NothingRecordedError";
}

type Data = Record<string, unknown>;
const num = (d: Data, key: string): number | undefined =>
  typeof d[key] === "number" ? (d[key] as number) : undefined;

interface CallTrack {
  readonly at: number;
  readonly from: string;
  readonly to: string;
  readonly configVersion: number;
  readonly callId: string;
  readonly callerLegId: string;
  readonly digits: string[];
  /** The latest time seen on the call (events without their own time happened then). */
  lastAt: number;
  inConnect: boolean;
  answeredAt?: number;
  voicemailAt?: number;
  ended?: { readonly at: number; readonly reason: string };
  /** The first transfer of the call (a re-run replays one). */
  transfer?: {
    readonly mode: "warm" | "blind";
    readonly to: string;
    /** The transfer's ring time (its decision's), to date the request by its ring timer. */
    ringTimeoutSec?: number;
    requestedAt: number;
    dated?: boolean;
    /** The agent and the target bridged for a consult (warm). */
    consultAt?: number;
    /** The caller bridged again: to the target, or back to the agent. */
    throughAt?: number;
  };
  callback?: { readonly at: number; readonly number: string };
  /** The call back being dialled, until its ring timer dates it. */
  customerLeg?: DirectLeg;
}

interface Offer {
  readonly reservedAt: number;
  /** Where this offer is in the agent's sequence of offers. */
  readonly index: number;
  ringingAt?: number;
}

/** A leg a Connect rang straight to a number or SIP address. */
interface DirectLeg {
  readonly key: string;
  readonly index: number;
  /** When it was dialled. */
  at: number;
  readonly timeoutSec?: number;
  ringingAt?: number;
  /** The platform cancelled it at its ring timeout. */
  ringTimeout?: boolean;
}

interface AgentFit {
  readonly delays: number[];
  noAnswer: number;
  busy: number;
  reject: number;
  answered: number;
}

/**
 * Reads a recorded period out of an event log (in log order). Arrival times, numbers, caller ids and IVR
 * digits are copied; talk time, voicemail length and patience are copied where the call showed them
 * (patience as a lower bound where the caller was answered first); each agent's answer delay and miss rates
 * are fitted from their offers, and their sign-in, break and sign-out times kept as a timeline.
 */
export function extractDay(events: Iterable<LoggedEvent>, options: ExtractOptions): ExtractedDay {
  const { from, to } = options;
  const configEvents: ConfigEvent[] = [];
  const calls = new Map<string, CallTrack>();
  const offers = new Map<string, Offer>();
  const fits = new Map<string, AgentFit>();
  const timeline = new Map<string, TimelineEntry[]>();
  /** Each agent's offers in order: what the phone did, or null where the offer was taken back first. */
  const sequences = new Map<string, Array<PhoneAction | null>>();
  const directLegs = new Map<string, DirectLeg>();
  /** Agents signed in (and not on a break of their own) when the period starts. */
  const state = new Map<string, "out" | "in" | "break" | "paused">();
  const stateAtFrom = new Map<string, "out" | "in" | "break" | "paused">();
  const fitOf = (agentId: string) => {
    let f = fits.get(agentId);
    if (!f) {
      f = { delays: [], noAnswer: 0, busy: 0, reject: 0, answered: 0 };
      fits.set(agentId, f);
    }
    return f;
  };
  const note = (agentId: string, at: number, input: TimelineEntry["input"]) => {
    if (at < from || at >= to) return;
    const list = timeline.get(agentId) ?? [];
    list.push({ atSec: sec(at - from), input });
    timeline.set(agentId, list);
  };

  for (const e of events) {
    const d = (e.data ?? {}) as Data;
    if (e.streamId === CONFIG_STREAM) {
      configEvents.push(e as unknown as ConfigEvent);
      continue;
    }
    if (e.streamId.startsWith("agent-")) {
      const agentId = e.streamId.slice("agent-".length);
      const at = num(d, "at") ?? 0;
      const before = state.get(agentId) ?? "out";
      switch (e.type) {
        case "AgentSignedIn":
          state.set(agentId, "in");
          note(agentId, at, "SignIn");
          break;
        case "AgentSignedOut":
        case "AgentWentOffline":
          state.set(agentId, "out");
          note(agentId, at, "SignOut");
          break;
        case "AgentBreakStarted":
          // A pause the platform imposed for missed offers is its own decision: a re-run makes its own.
          if (d.reason === MISSED_OFFERS_BREAK) state.set(agentId, "paused");
          else {
            state.set(agentId, "break");
            note(agentId, at, "StartBreak");
          }
          break;
        case "AgentBreakEnded":
          state.set(agentId, "in");
          if (before === "break") note(agentId, at, "EndBreak");
          break;
        default:
          break;
      }
      if (at < from) stateAtFrom.set(agentId, state.get(agentId) ?? "out");
      if (at >= to) continue;
      const callId = typeof d.callId === "string" ? d.callId : undefined;
      if (callId === undefined || !calls.has(callId)) continue;
      const key = `${agentId}/${callId}`;
      if (e.type === "AgentReserved") {
        const seq = sequences.get(agentId) ?? [];
        sequences.set(agentId, seq);
        offers.set(key, { reservedAt: at, index: seq.length });
        seq.push(null);
      } else if (e.type === "AgentRinging") {
        const o = offers.get(key);
        if (o) o.ringingAt ??= at;
      } else if (e.type === "AgentAnswered") {
        const o = offers.get(key);
        if (o) {
          const f = fitOf(agentId);
          f.answered += 1;
          // From the offer (the phone is rung then), as the simulated phones count it.
          const delay = (at - o.reservedAt) / 1000;
          f.delays.push(delay);
          sequences.get(agentId)![o.index] = { kind: "answer", afterSec: sec(delay * 1000) };
          offers.delete(key);
        }
      } else if (e.type === "AgentReleased") {
        const o = offers.get(key);
        offers.delete(key);
        // Only the agent's own misses say something about the agent; an offer taken back (another phone
        // answered, the caller hung up) says nothing.
        if (o && d.missed === true) {
          const f = fitOf(agentId);
          const seq = sequences.get(agentId)!;
          if (d.reason === "busy" || d.reason === "hungUp") {
            if (o.ringingAt !== undefined) {
              f.reject += 1;
              seq[o.index] = { kind: "reject", afterSec: sec(at - o.reservedAt) };
            } else {
              f.busy += 1;
              seq[o.index] = { kind: "busy" };
            }
          } else {
            f.noAnswer += 1;
            seq[o.index] = { kind: "noAnswer" };
          }
        }
      }
      continue;
    }
    if (!e.streamId.startsWith("call-")) continue;
    const callId = e.streamId.slice("call-".length);
    if (e.type === "CallStarted") {
      const at = num(d, "at") ?? 0;
      if (at < from || at >= to) continue;
      calls.set(callId, {
        at,
        from: String(d.from),
        to: String(d.to),
        configVersion: num(d, "configVersion") ?? 0,
        callId,
        callerLegId: String(d.callerLegId),
        digits: [],
        lastAt: at,
        inConnect: false,
      });
      continue;
    }
    const call = calls.get(callId);
    if (!call) continue;
    // Numbers and SIP addresses a Connect rings directly (no agent stream): their phones' answers, in order.
    if (
      e.type === "LegOriginateRequested" &&
      (d.role === "target" || d.role === "customer") &&
      d.agentId === undefined
    ) {
      const to = (d.to ?? {}) as Data;
      // A called-back customer's answers belong to their call (replayed by their phone), not to a number.
      const key =
        d.role === "customer"
          ? `${CUSTOMER}${callId}`
          : to.kind === "sip"
            ? `sip:${String(to.uri)}`
            : `number:${String(to.number)}`;
      const seq = sequences.get(key) ?? [];
      sequences.set(key, seq);
      const leg: DirectLeg = {
        key,
        index: seq.length,
        at: call.lastAt,
        ...(typeof d.timeoutSec === "number" ? { timeoutSec: d.timeoutSec } : {}),
      };
      directLegs.set(`${callId}/${String(d.legId)}`, leg);
      if (d.role === "customer") call.customerLeg = leg;
      seq.push(null);
    } else if (e.type === "TimerScheduled" && d.kind === "callbackRingTimeout" && call.customerLeg) {
      // The call back is dialled after the agent's whisper, an event without a time: its ring timer,
      // due a ring time after the dial, dates it.
      const leg = call.customerLeg;
      const dueAt = num(d, "dueAt");
      if (dueAt !== undefined && leg.timeoutSec !== undefined) leg.at = dueAt - leg.timeoutSec * 1000;
      delete call.customerLeg;
    } else if (
      e.type === "LegCancelRequested" &&
      (d.reason === "ringTimeout" || d.reason === "callbackFailed")
    ) {
      const leg = directLegs.get(`${callId}/${String(d.legId)}`);
      if (leg) leg.ringTimeout = true;
    } else if (e.type === "LegRinging" || e.type === "LegAnswered" || e.type === "LegEnded") {
      const leg = directLegs.get(`${callId}/${String(d.legId)}`);
      const at = num(d, "at") ?? call.lastAt;
      if (leg && e.type === "LegRinging") leg.ringingAt ??= at;
      else if (leg) {
        const seq = sequences.get(leg.key)!;
        const since = leg.at;
        if (e.type === "LegAnswered") seq[leg.index] = { kind: "answer", afterSec: sec(at - since) };
        else if (d.reason === "noAnswer") seq[leg.index] = { kind: "noAnswer" };
        else if (d.reason === "busy")
          seq[leg.index] =
            leg.ringingAt === undefined ? { kind: "busy" } : { kind: "reject", afterSec: sec(at - since) };
        // Cancelled by the platform: at its ring timeout, the phone did not answer in time; for another
        // reason (the caller went first), unknown.
        else if (d.reason === "cancelled" && leg.ringTimeout) seq[leg.index] = { kind: "noAnswer" };
        directLegs.delete(`${callId}/${String(d.legId)}`);
      }
    }
    const at = num(d, "at");
    if (at !== undefined) call.lastAt = at;
    switch (e.type) {
      case "IvrBranchChosen":
        if (typeof d.digit === "string") call.digits.push(d.digit);
        break;
      case "AppletEntered":
        call.inConnect = d.kind === "connect";
        break;
      case "LegsBridged": {
        // The first bridge in a Connect is the answer (later ones are transfers).
        if (call.answeredAt === undefined && call.inConnect) call.answeredAt = num(d, "at");
        const t = call.transfer;
        const legIds = Array.isArray(d.legIds) ? d.legIds : [];
        if (t && t.throughAt === undefined) {
          if (legIds.includes(call.callerLegId)) t.throughAt = num(d, "at");
          else t.consultAt ??= num(d, "at");
        }
        break;
      }
      case "RoutingDecided":
        if (call.transfer && d.purpose === "transfer" && typeof d.ringTimeoutSec === "number")
          call.transfer.ringTimeoutSec ??= d.ringTimeoutSec;
        break;
      case "TimerScheduled": {
        // The request itself carries no time: its first ring timer, due a ring time after it, dates it.
        const t = call.transfer;
        const dueAt = num(d, "dueAt");
        if (
          t &&
          !t.dated &&
          d.kind === "transferRingTimeout" &&
          t.ringTimeoutSec !== undefined &&
          dueAt !== undefined
        ) {
          t.requestedAt = dueAt - t.ringTimeoutSec * 1000;
          t.dated = true;
        }
        break;
      }
      case "TransferRequested":
        call.transfer ??= {
          mode: d.mode === "blind" ? "blind" : "warm",
          to: transferTargetText(d.target as TransferTarget),
          requestedAt: call.lastAt,
        };
        break;
      case "CallbackRequested":
        call.callback ??= { at: num(d, "at") ?? call.lastAt, number: String(d.number) };
        break;
      case "VoicemailRecordingStarted":
        call.voicemailAt ??= num(d, "at") ?? undefined;
        break;
      case "CallEnded":
        call.ended = { at: num(d, "at") ?? 0, reason: String(d.reason) };
        break;
      default:
        break;
    }
  }

  if (calls.size === 0)
    throw new NothingRecordedError(
      `no call arrived between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}`,
    );
  const version = Math.max(...[...calls.values()].map((c) => c.configVersion));
  let config = EMPTY_CONFIG;
  for (const e of configEvents) {
    if ((e.data.version ?? 0) > version) break;
    config = evolveConfig(config, e);
  }
  if (Object.keys(config.numbers).length === 0)
    throw new NothingRecordedError(`the config stream holds no numbers up to version ${version}`);

  const recorded: RecordedCall[] = [];
  const talks: number[] = [];
  const voicemails: number[] = [];
  let abandoned = 0;
  let exposure = 0;
  for (const c of calls.values()) {
    const base: { atSec: number; number: string; from: string; digits?: string[] } = {
      // To the millisecond: the re-run places each caller when the recorded one arrived.
      atSec: (c.at - from) / 1000,
      number: c.to,
      from: c.from,
      ...(c.digits.length > 0 ? { digits: c.digits } : {}),
    };
    const end = c.ended;
    const handoffs = {
      ...(c.transfer && c.answeredAt !== undefined
        ? { transfer: recordedTransfer(c.transfer, c.answeredAt, end?.at) }
        : {}),
      ...(c.callback
        ? {
            callback: {
              afterSec: sec(c.callback.at - c.at),
              ...(c.callback.number === c.from ? {} : { number: c.callback.number }),
              answers: sequences.get(`${CUSTOMER}${c.callId}`) ?? [],
            },
          }
        : {}),
    };
    if (c.callback || c.answeredAt !== undefined) {
      // Answered: patience at least the wait. Called back: they waited until they asked; the talk is the
      // call back's (absent: never called back).
      const waited = sec((c.callback?.at ?? c.answeredAt!) - c.at);
      exposure += waited;
      const talkSec = end && c.answeredAt !== undefined ? sec(end.at - c.answeredAt) : undefined;
      if (talkSec !== undefined) talks.push(talkSec);
      recorded.push({
        ...base,
        waitedAtLeastSec: waited,
        ...(talkSec === undefined ? {} : { talkSec }),
        ...handoffs,
      });
    } else if (c.voicemailAt !== undefined) {
      const waited = sec(c.voicemailAt - c.at);
      exposure += waited;
      const voicemailSec = end ? sec(end.at - c.voicemailAt) : undefined;
      if (voicemailSec !== undefined) voicemails.push(voicemailSec);
      recorded.push({
        ...base,
        waitedAtLeastSec: waited,
        ...(voicemailSec === undefined ? {} : { voicemailSec }),
      });
    } else if (end?.reason === "callerHungUp") {
      const patienceSec = sec(end.at - c.at);
      exposure += patienceSec;
      abandoned += 1;
      recorded.push({ ...base, patienceSec });
    } else {
      const waited = end ? sec(end.at - c.at) : sec(to - c.at);
      exposure += waited;
      recorded.push({ ...base, waitedAtLeastSec: waited });
    }
  }
  recorded.sort((a, b) => a.atSec - b.atSec);

  // Patience: exponential, fitted with the censored waits (maximum likelihood: time exposed / abandonments).
  // None abandoned: nobody is known to give up.
  const patience: Distribution | undefined =
    abandoned > 0 ? { kind: "exponential", meanSec: round(exposure / abandoned) } : undefined;
  const talkTime = fitDuration(talks) ?? DEFAULT_CALLER.talkTime;
  const voicemail = fitDuration(voicemails) ?? DEFAULT_CALLER.voicemail;

  const pooled: AgentFit = { delays: [], noAnswer: 0, busy: 0, reject: 0, answered: 0 };
  for (const f of fits.values()) {
    pooled.delays.push(...f.delays);
    pooled.noAnswer += f.noAnswer;
    pooled.busy += f.busy;
    pooled.reject += f.reject;
    pooled.answered += f.answered;
  }
  const defaultAgent = behaviourOf(pooled, DEFAULT_AGENT);
  const byAgent: Record<string, AgentBehaviour> = {};
  for (const [agentId, f] of [...fits.entries()].sort(([a], [b]) => a.localeCompare(b)))
    if (config.agents[agentId]) byAgent[agentId] = behaviourOf(f, defaultAgent);

  // Each agent of the configuration: signed in at the start if they were then, then their recorded changes.
  const agentTimeline: Record<string, TimelineEntry[]> = {};
  for (const agentId of Object.keys(config.agents).sort()) {
    agentTimeline[agentId] = timeline.get(agentId) ?? [];
  }
  for (const agentId of Object.keys(agentTimeline)) {
    const atFrom = stateAtFrom.get(agentId) ?? "out";
    const before: TimelineEntry[] =
      atFrom === "out"
        ? []
        : atFrom === "break"
          ? [
              { atSec: 0, input: "SignIn" },
              { atSec: 0, input: "StartBreak" },
            ]
          : [{ atSec: 0, input: "SignIn" }];
    agentTimeline[agentId] = [...before, ...agentTimeline[agentId]!];
  }

  const durationSec = Math.ceil((to - from) / 1000);
  return {
    config,
    traffic: {
      seed: options.seed ?? "recorded",
      startAt: new Date(from).toISOString(),
      durationSec,
      serviceLevelSec: options.serviceLevelSec ?? 20,
      arrivals: [],
      calls: recorded,
      agentTimeline,
      agentOffers: Object.fromEntries(
        [...sequences.entries()]
          .filter(([id]) => !id.startsWith(CUSTOMER) && (config.agents[id] || id.includes(":")))
          .sort(([a], [b]) => a.localeCompare(b)),
      ),
      callers: {
        talkTime,
        voicemail,
        ivr: {},
        ...(patience === undefined ? {} : { patience }),
      },
      agents: { default: defaultAgent, byAgent },
    },
    summary: {
      calls: recorded.length,
      answered: recorded.filter((c) => c.talkSec !== undefined).length,
      abandoned,
      rings: pooled.answered + pooled.noAnswer + pooled.busy + pooled.reject,
      talkTime,
      ...(patience === undefined ? {} : { patience }),
    },
  };
}

/** Log-normal with the samples' mean and standard deviation; one value (or all equal): fixed. */
function fitDuration(xs: readonly number[]): Distribution | undefined {
  if (xs.length === 0) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  if (!(mean > 0) || sd < 1e-6) return { kind: "fixed", sec: round(mean) };
  return { kind: "logNormal", meanSec: round(mean), sdSec: round(sd) };
}

function behaviourOf(f: AgentFit, fallback: AgentBehaviour): AgentBehaviour {
  const decided = f.answered + f.noAnswer + f.busy + f.reject;
  if (decided === 0) return fallback;
  return {
    answerDelay: fitDuration(f.delays) ?? fallback.answerDelay,
    noAnswer: round3(f.noAnswer / decided),
    busy: round3(f.busy / decided),
    reject: round3(f.reject / decided),
  };
}

/** The key of a called-back customer's answers among the phones' sequences (their call's id follows). */
const CUSTOMER = "customer:";

/** A call's first transfer: when the answering agent started it, where to, and the talk that followed. */
function recordedTransfer(
  t: NonNullable<CallTrack["transfer"]>,
  answeredAt: number,
  endAt: number | undefined,
): RecordedTransfer {
  return {
    afterSec: sec(t.requestedAt - answeredAt),
    mode: t.mode,
    to: t.to,
    ...(t.mode === "warm" && t.consultAt !== undefined && t.throughAt !== undefined
      ? { consultSec: sec(t.throughAt - t.consultAt) }
      : {}),
    ...(t.throughAt !== undefined && endAt !== undefined ? { talkSec: sec(endAt - t.throughAt) } : {}),
  };
}

const sec = (ms: number): number => Math.round(ms / 100) / 10;
const round = (x: number): number => Math.round(x * 10) / 10;
// Rounded down so that rates that add up to 1 still do.
const round3 = (x: number): number => Math.floor(x * 1000) / 1000;
