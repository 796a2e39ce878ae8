import {
  agentIdOfStream,
  type ConfigSnapshot,
  type ConnectOutcome,
  callIdOfStream,
} from "@switchyard/routing-domain";

/** An event as read from the event store (or the EVENTS stream): only what the statistics need. */
export interface LoggedEvent {
  readonly streamId: string;
  readonly type: string;
  readonly data: unknown;
}

/** Answer and wait figures over a set of calls offered to agents (all of them, or one group's). */
export interface CallFigures {
  /** Calls that reached a Connect applet (offered to agents). */
  readonly offered: number;
  readonly answered: number;
  /** answered / offered (0 when nothing was offered). */
  readonly answerRate: number;
  /** Mean seconds from entering the Connect applet to being connected, over answered calls. */
  readonly averageSpeedOfAnswerSec: number;
  /** Share of offered calls that had to wait in a queue (probability a caller waited). */
  readonly waitedShare: number;
  /** Share of offered calls answered within the service-level threshold. */
  readonly serviceLevel: number;
  /** Callers who hung up while waiting for an agent (ringing or queued). */
  readonly abandoned: number;
  readonly abandonmentRate: number;
  readonly queued: number;
  /** Calls that left a Connect applet unanswered (a fallback branch was taken). */
  readonly fellBack: number;
}

export interface GroupFigures extends CallFigures {
  /** Group id, or `agent:<id>`, `number:<n>`, `sip:<uri>` for other Connect targets. */
  readonly key: string;
  readonly label: string;
}

export type AgentState =
  | "signed out"
  | "idle"
  | "reserved"
  | "ringing"
  | "on call"
  | "wrap-up"
  | "on break"
  | "offline";

export interface AgentFigures {
  readonly agentId: string;
  readonly name: string;
  readonly state: AgentState;
  /** Calls the agent was rung for (reservations). */
  readonly offered: number;
  /** Calls the agent answered. */
  readonly handled: number;
  /**
   * Offers the agent's phone missed (rang out, busy or declined). Not a miss: another agent of a
   * simultaneous ring answered first, or the caller hung up while the phone rang.
   */
  readonly missed: number;
  readonly talkSec: number;
  readonly signedInSec: number;
  /** talk time / signed-in time. */
  readonly utilisation: number;
}

export interface Statistics {
  readonly serviceLevelSec: number;
  /** Platform time the figures are taken at (open calls and sign-ins are counted up to it). */
  readonly until: number;
  /** Calls that arrived (CallStarted). */
  readonly arrived: number;
  readonly ended: number;
  readonly inProgress: number;
  /** Callers in a queue right now. */
  readonly queuedNow: number;
  readonly calls: CallFigures;
  readonly groups: readonly GroupFigures[];
  readonly agents: readonly AgentFigures[];
  /** Where each call that was never connected to an agent went, e.g. "voicemail": 3. */
  readonly unanswered: Readonly<Record<string, number>>;
  /** The same calls by the applets they went through: disposition → "welcome → menu → sales" → count. */
  readonly unansweredPaths: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * The expected waits queued callers were told (their first announcement with an estimate) against the
   * wait that followed, from that announcement to the answer; callers who were never answered are left out.
   */
  /** Callbacks: offered, accepted, completed (the customer answered), and the median wait for the call back. */
  readonly callbacks: {
    readonly offered: number;
    readonly accepted: number;
    readonly completed: number;
    readonly failed: number;
    readonly medianTimeToCallbackSec?: number;
  };
  /**
   * Durable timers (ring timeouts, queue waits, announcements...): how late each fired against its due
   * time, in platform seconds. A run on a scaled clock the machine cannot keep up with fires them late, and
   * its figures are distorted.
   */
  readonly timers: {
    readonly fired: number;
    readonly latenessP99Sec: number;
    readonly latenessMaxSec: number;
  };
  readonly expectedWait: {
    readonly told: number;
    readonly checked: number;
    readonly medianAbsErrorSec?: number;
    readonly medianWaitSec?: number;
  };
}

interface Visit {
  readonly key: string;
  readonly enteredAt: number;
  queued: boolean;
  inQueue: boolean;
  answeredAt?: number;
  outcome?: ConnectOutcome;
}

interface CallTrack {
  readonly startedAt: number;
  readonly flowId: string;
  applet?: { readonly id: string; readonly kind: string };
  /** Applet ids entered, in order (a menu replayed in a row counts once). */
  readonly path: string[];
  previousKind?: string;
  visit?: Visit;
  readonly visits: Visit[];
  firstConnectAt?: number;
  answeredAt?: number;
  queued: boolean;
  fellBack: boolean;
  voicemail: boolean;
  abandoned?: "queue" | "ringing";
  callback?: { offered: boolean; requestedAt?: number; connectedAt?: number; failed?: boolean };
  /** The first expected wait announced to this caller, and when. */
  told?: { readonly at: number; readonly estimateSec: number };
  ended?: { readonly reason: string; readonly at: number };
}

interface AgentTrack {
  state: AgentState;
  signedInSince?: number;
  signedInSec: number;
  talkSince?: number;
  talkSec: number;
  offered: number;
  handled: number;
  missed: number;
}

type Data = Record<string, unknown>;
const num = (d: Data, key: string): number => (typeof d[key] === "number" ? (d[key] as number) : 0);
const str = (d: Data, key: string): string => (typeof d[key] === "string" ? (d[key] as string) : "");

/**
 * Contact-centre figures built from the call and agent events of the event store, fed in log order. Only
 * the events are used (never the simulator's own bookkeeping), so the figures are what the platform did.
 */
export class StatisticsBuilder {
  readonly #calls = new Map<string, CallTrack>();
  readonly #agents = new Map<string, AgentTrack>();
  readonly #config: ConfigSnapshot;
  readonly #serviceLevelSec: number;
  readonly #since: number;
  #latest = 0;
  /** Due time of each timer scheduled, until it fires or is cancelled; lateness of those fired. */
  readonly #timersDue = new Map<string, number>();
  readonly #timerLateness: number[] = [];

  /**
   * `since`: only calls that started then or later count, and agents' signed-in and talk time is counted
   * from then (a run on a database that already holds earlier runs).
   */
  constructor(config: ConfigSnapshot, options: { serviceLevelSec?: number; since?: number } = {}) {
    this.#config = config;
    this.#serviceLevelSec = options.serviceLevelSec ?? 20;
    this.#since = options.since ?? Number.NEGATIVE_INFINITY;
    for (const agentId of Object.keys(config.agents)) this.#agent(agentId);
  }

  /** Number of calls seen so far. */
  get callCount(): number {
    return this.#calls.size;
  }

  add(event: LoggedEvent): void {
    const d = (event.data ?? {}) as Data;
    const at = num(d, "at");
    if (at > this.#latest) this.#latest = at;
    const callId = callIdOfStream(event.streamId);
    const agentId = agentIdOfStream(event.streamId);
    if (callId !== undefined) this.#callEvent(callId, event.type, d);
    else if (agentId !== undefined) this.#agentEvent(agentId, event.type, d);
  }

  addAll(events: Iterable<LoggedEvent>): this {
    for (const e of events) this.add(e);
    return this;
  }

  #callEvent(callId: string, type: string, d: Data): void {
    if (type === "CallStarted") {
      if (num(d, "at") < this.#since) return;
      this.#calls.set(callId, {
        startedAt: num(d, "at"),
        flowId: str(d, "flowId"),
        visits: [],
        path: [],
        queued: false,
        fellBack: false,
        voicemail: false,
      });
      return;
    }
    const call = this.#calls.get(callId);
    if (!call) return;
    if (type === "TimerScheduled") this.#timersDue.set(str(d, "timerId"), num(d, "dueAt"));
    else if (type === "TimerCancelled") this.#timersDue.delete(str(d, "timerId"));
    else if (type === "TimerElapsed") {
      const due = this.#timersDue.get(str(d, "timerId"));
      if (due !== undefined) this.#timerLateness.push(Math.max(0, num(d, "at") - due));
      this.#timersDue.delete(str(d, "timerId"));
    }
    switch (type) {
      case "AppletEntered": {
        call.previousKind = call.applet?.kind;
        call.applet = { id: str(d, "appletId"), kind: str(d, "kind") };
        if (call.path.at(-1) !== call.applet.id) call.path.push(call.applet.id);
        if (call.applet.kind === "connect") {
          const visit: Visit = {
            key: this.#targetKey(call.flowId, call.applet.id),
            enteredAt: num(d, "at"),
            queued: false,
            inQueue: false,
          };
          call.visit = visit;
          call.visits.push(visit);
          call.firstConnectAt ??= visit.enteredAt;
        } else {
          call.visit = undefined;
        }
        break;
      }
      case "CallerEnqueued":
        if (call.visit) {
          call.visit.queued = true;
          call.visit.inQueue = true;
        }
        call.queued = true;
        break;
      case "CallbackStep":
        if (d.phase === "offered") call.callback ??= { offered: true };
        break;
      case "CallbackRequested":
        call.callback = { ...(call.callback ?? { offered: true }), requestedAt: num(d, "at") };
        break;
      case "QueuePositionAnnounced":
        if (call.told === undefined && typeof d.expectedWaitSec === "number")
          call.told = { at: num(d, "at"), estimateSec: d.expectedWaitSec };
        break;
      case "CallerDequeued":
        // "callEnded": the caller leaves the queue because the call is ending; CallEnded says why.
        if (call.visit && d.reason !== "callEnded") call.visit.inQueue = false;
        break;
      case "LegsBridged":
        if (call.callback?.requestedAt !== undefined && call.callback.connectedAt === undefined)
          call.callback.connectedAt = num(d, "at");
        // The first bridge of a Connect is the answer; later ones (transfers) are not.
        if (call.visit && call.visit.answeredAt === undefined && call.answeredAt === undefined) {
          call.visit.answeredAt = num(d, "at");
          call.answeredAt = num(d, "at");
        }
        break;
      case "ConnectCompleted": {
        const outcome = str(d, "outcome") as ConnectOutcome;
        if (call.visit) call.visit.outcome = outcome;
        if (outcome !== "answered") call.fellBack = true;
        break;
      }
      case "VoicemailRecordingStarted":
        call.voicemail = true;
        break;
      case "CallEnded": {
        const reason = str(d, "reason");
        if (reason === "callbackFailed" && call.callback) call.callback.failed = true;
        call.ended = { reason, at: num(d, "at") };
        const visit = call.visit;
        if (visit && visit.answeredAt === undefined && reason === "callerHungUp")
          call.abandoned = visit.inQueue ? "queue" : "ringing";
        if (visit) visit.inQueue = false;
        break;
      }
      default:
        break;
    }
  }

  #agent(agentId: string): AgentTrack {
    let a = this.#agents.get(agentId);
    if (!a) {
      a = { state: "signed out", signedInSec: 0, talkSec: 0, offered: 0, handled: 0, missed: 0 };
      this.#agents.set(agentId, a);
    }
    return a;
  }

  #agentEvent(agentId: string, type: string, d: Data): void {
    const a = this.#agent(agentId);
    const recent = num(d, "at") >= this.#since;
    const at = Math.max(num(d, "at"), this.#since);
    const signOff = (state: AgentState) => {
      if (a.signedInSince !== undefined) a.signedInSec += at - a.signedInSince;
      a.signedInSince = undefined;
      a.state = state;
    };
    switch (type) {
      case "AgentSignedIn":
        a.signedInSince ??= at;
        a.state = "idle";
        break;
      case "AgentSignedOut":
        signOff("signed out");
        break;
      case "AgentWentOffline":
        signOff("offline");
        break;
      case "AgentBreakStarted":
        a.state = "on break";
        break;
      case "AgentBreakEnded":
      case "AgentWrapUpEnded":
        a.state = "idle";
        break;
      case "AgentReserved":
        if (recent) a.offered += 1;
        a.state = "reserved";
        break;
      case "AgentRinging":
        a.state = "ringing";
        break;
      case "AgentAnswered":
        if (recent) a.handled += 1;
        a.talkSince = at;
        a.state = "on call";
        break;
      case "AgentReleased":
        if (recent && d.missed === true) a.missed += 1;
        a.state = "idle";
        break;
      case "AgentCallEnded":
        if (a.talkSince !== undefined) a.talkSec += at - a.talkSince;
        a.talkSince = undefined;
        a.state = typeof d.wrapUpEndsAt === "number" ? "wrap-up" : "idle";
        break;
      default:
        break;
    }
  }

  /** Where a Connect applet rings, as a statistics key: the group id, or the kind and address. */
  #targetKey(flowId: string, appletId: string): string {
    const applet = this.#config.flows[flowId]?.applets[appletId];
    if (applet?.kind !== "connect") return `applet:${appletId}`;
    const t = applet.target;
    switch (t.kind) {
      case "group":
        return t.groupId;
      case "agent":
        return `agent:${t.agentId}`;
      case "number":
      case "external":
        return `number:${t.number}`;
      case "sip":
        return `sip:${t.uri}`;
      default: {
        const unknown: never = t;
        throw new Error(`unknown target ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** The figures as of `until` (default: the latest time seen in the events). */
  result(until: number = this.#latest): Statistics {
    const calls = [...this.#calls.values()];
    const threshold = this.#serviceLevelSec * 1000;
    const overall = figures(
      calls
        .filter((c) => c.firstConnectAt !== undefined)
        .map((c) => ({
          enteredAt: c.firstConnectAt!,
          answeredAt: c.answeredAt,
          queued: c.queued,
          abandoned: c.abandoned !== undefined,
          fellBack: c.fellBack,
        })),
      threshold,
    );

    const keys = new Set<string>([...Object.keys(this.#config.groups)]);
    for (const c of calls) for (const v of c.visits) keys.add(v.key);
    const groups: GroupFigures[] = [...keys].map((key) => {
      const samples = calls.flatMap((c) => {
        const visits = c.visits.filter((v) => v.key === key);
        if (visits.length === 0) return [];
        const answered = visits.find((v) => v.answeredAt !== undefined);
        const last = c.visits.at(-1);
        return [
          {
            enteredAt: visits[0]!.enteredAt,
            answeredAt: answered?.answeredAt,
            queued: visits.some((v) => v.queued),
            abandoned: c.abandoned !== undefined && last?.key === key,
            fellBack: visits.some((v) => v.outcome !== undefined && v.outcome !== "answered"),
          },
        ];
      });
      return { key, label: this.#label(key), ...figures(samples, threshold) };
    });
    groups.sort((a, b) => a.label.localeCompare(b.label));

    const agents: AgentFigures[] = [...this.#agents.entries()].map(([agentId, a]) => {
      const talkSec = (a.talkSec + (a.talkSince === undefined ? 0 : Math.max(0, until - a.talkSince))) / 1000;
      const signedInSec =
        (a.signedInSec + (a.signedInSince === undefined ? 0 : Math.max(0, until - a.signedInSince))) / 1000;
      return {
        agentId,
        name: this.#config.agents[agentId]?.name ?? agentId,
        state: a.state,
        offered: a.offered,
        handled: a.handled,
        missed: a.missed,
        talkSec,
        signedInSec,
        utilisation: signedInSec > 0 ? Math.min(1, talkSec / signedInSec) : 0,
      };
    });
    agents.sort((a, b) => a.agentId.localeCompare(b.agentId));

    const unanswered: Record<string, number> = {};
    const unansweredPaths: Record<string, Record<string, number>> = {};
    for (const c of calls) {
      if (c.answeredAt !== undefined) continue;
      const where = disposition(c);
      unanswered[where] = (unanswered[where] ?? 0) + 1;
      const paths = unansweredPaths[where] ?? {};
      unansweredPaths[where] = paths;
      const path = c.path.join(" → ") || "(no applet)";
      paths[path] = (paths[path] ?? 0) + 1;
    }
    const ended = calls.filter((c) => c.ended !== undefined).length;
    const checked = calls.flatMap((c) =>
      c.told && c.answeredAt !== undefined
        ? [
            {
              error: Math.abs(c.told.estimateSec - (c.answeredAt - c.told.at) / 1000),
              wait: (c.answeredAt - c.told.at) / 1000,
            },
          ]
        : [],
    );
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return {
      serviceLevelSec: this.#serviceLevelSec,
      until,
      arrived: calls.length,
      ended,
      inProgress: calls.length - ended,
      queuedNow: calls.filter((c) => c.visit?.inQueue).length,
      calls: overall,
      groups,
      agents,
      unanswered,
      unansweredPaths,
      callbacks: (() => {
        const cbs = calls.flatMap((c) => (c.callback ? [c.callback] : []));
        const waits = cbs.flatMap((cb) =>
          cb.requestedAt !== undefined && cb.connectedAt !== undefined
            ? [(cb.connectedAt - cb.requestedAt) / 1000]
            : [],
        );
        return {
          offered: cbs.filter((cb) => cb.offered).length,
          accepted: cbs.filter((cb) => cb.requestedAt !== undefined).length,
          completed: waits.length,
          failed: cbs.filter((cb) => cb.failed).length,
          ...(waits.length > 0 ? { medianTimeToCallbackSec: median(waits)! } : {}),
        };
      })(),
      timers: (() => {
        const late = [...this.#timerLateness].sort((x, y) => x - y);
        const at = (q: number) =>
          late.length === 0 ? 0 : late[Math.min(late.length - 1, Math.floor(q * late.length))]!;
        return {
          fired: late.length,
          latenessP99Sec: at(0.99) / 1000,
          latenessMaxSec: (late.at(-1) ?? 0) / 1000,
        };
      })(),
      expectedWait: {
        told: calls.filter((c) => c.told !== undefined).length,
        checked: checked.length,
        ...(checked.length > 0
          ? {
              medianAbsErrorSec: median(checked.map((x) => x.error))!,
              medianWaitSec: median(checked.map((x) => x.wait))!,
            }
          : {}),
      },
    };
  }

  #label(key: string): string {
    const group = this.#config.groups[key];
    if (group) return group.name === group.groupId ? group.groupId : `${group.name} (${group.groupId})`;
    // Other Connect targets: "number +44...", "agent ana", "sip sip:desk@pbx".
    const colon = key.indexOf(":");
    return colon < 0 ? key : `${key.slice(0, colon)} ${key.slice(colon + 1)}`;
  }
}

/** Convenience: the figures of a whole event log. */
export function computeStatistics(
  events: Iterable<LoggedEvent>,
  config: ConfigSnapshot,
  options: { serviceLevelSec?: number; since?: number; until?: number } = {},
): Statistics {
  return new StatisticsBuilder(config, options).addAll(events).result(options.until);
}

interface Sample {
  readonly enteredAt: number;
  readonly answeredAt: number | undefined;
  readonly queued: boolean;
  readonly abandoned: boolean;
  readonly fellBack: boolean;
}

function figures(samples: readonly Sample[], thresholdMs: number): CallFigures {
  const offered = samples.length;
  const answered = samples.filter((s) => s.answeredAt !== undefined);
  const waits = answered.map((s) => s.answeredAt! - s.enteredAt);
  const share = (n: number) => (offered === 0 ? 0 : n / offered);
  const abandoned = samples.filter((s) => s.abandoned).length;
  const queued = samples.filter((s) => s.queued).length;
  return {
    offered,
    answered: answered.length,
    answerRate: share(answered.length),
    averageSpeedOfAnswerSec: waits.length === 0 ? 0 : waits.reduce((a, b) => a + b, 0) / waits.length / 1000,
    waitedShare: share(queued),
    serviceLevel: share(waits.filter((w) => w <= thresholdMs).length),
    abandoned,
    abandonmentRate: share(abandoned),
    queued,
    fellBack: samples.filter((s) => s.fellBack).length,
  };
}

/** Where a call that never reached an agent went. */
function disposition(c: CallTrack): string {
  if (c.ended === undefined) {
    if (c.visit?.inQueue) return "still queued at the end";
    if (c.applet?.kind === "connect") return "still ringing at the end";
    return "still in the flow at the end";
  }
  if (c.voicemail) return "voicemail";
  const kind = c.applet?.kind;
  switch (c.ended.reason) {
    case "callerHungUp":
      if (c.abandoned === "queue") return "abandoned in queue";
      if (c.abandoned === "ringing") return "abandoned while ringing";
      if (kind === "ivrMenu") return "abandoned in the IVR";
      if (kind === "greeting") return "hung up during a greeting";
      if (kind === "voicemail") return "hung up before the voicemail tone";
      return "caller hung up";
    case "hangupApplet":
      return c.previousKind === "greeting" ? "hang-up after greeting" : "hang-up applet";
    case "flowEnded":
      if (kind === "greeting") return "hang-up after greeting";
      if (kind === "connect") return `flow ended after ${c.visit?.outcome ?? "connect"}`;
      return `flow ended after ${kind ?? "start"}`;
    default:
      return `ended: ${c.ended.reason}`;
  }
}
