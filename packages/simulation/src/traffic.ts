import { type Random, seededRandom } from "@switchyard/clock";
import {
  Checker,
  type ContactCentreIssue,
  type Fields,
  formatIssue,
  joinPath,
} from "@switchyard/contact-centre";
import type { ConfigSnapshot, Contact, Flow } from "@switchyard/routing-domain";
import { type Distribution, poissonArrivals, sample } from "./distributions.js";

/** How an agent's phone treats each call it is offered (probabilities per attempt). */
export interface AgentBehaviour {
  /** Seconds from the phone ringing to the agent picking up. */
  readonly answerDelay: Distribution;
  readonly noAnswer: number;
  readonly busy: number;
  /** Rings, then the agent declines (reported as busy). */
  readonly reject: number;
}

export interface CallerBehaviour {
  /** Seconds the caller talks once connected to an agent (then hangs up). */
  readonly talkTime: Distribution;
  /** Seconds the caller waits without reaching an agent before hanging up; absent: waits for ever. */
  readonly patience?: Distribution;
  /** Seconds of message the caller leaves when sent to voicemail. */
  readonly voicemail: Distribution;
  /**
   * IVR menu applet id → digit → probability of pressing it. The remainder presses nothing (the menu's
   * timeout branch). Menus not listed: every digit branch equally likely.
   */
  readonly ivr: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export type Arrival =
  | { readonly kind: "poisson"; readonly number: string; readonly perHour: number }
  | { readonly kind: "schedule"; readonly number: string; readonly atSec: readonly number[] }
  | { readonly kind: "every"; readonly number: string; readonly everySec: number; readonly startSec: number };

/**
 * One caller of a recorded day (`switchyard extract`): when they called, what they dialled and pressed, and
 * what is known of their talk time and patience. Unknown values are drawn from the model's distributions.
 */
export interface RecordedCall {
  /** Seconds from the start of the recorded period. */
  readonly atSec: number;
  readonly number: string;
  readonly from?: string;
  /** The IVR digits the caller pressed, in order (one per menu). */
  readonly digits?: readonly string[];
  /** Seconds the caller talked once connected (answered calls). */
  readonly talkSec?: number;
  /** Seconds from arrival until the caller hung up unanswered (observed patience). */
  readonly patienceSec?: number;
  /** The caller was answered (or left the flow) after this long: their patience was at least this (censored). */
  readonly waitedAtLeastSec?: number;
  readonly voicemailSec?: number;
}

/** An agent's recorded sign-in, break and sign-out times, replayed as the agent's own inputs. */
export interface TimelineEntry {
  readonly atSec: number;
  readonly input: "SignIn" | "SignOut" | "StartBreak" | "EndBreak";
}

export const TIMELINE_INPUTS: readonly TimelineEntry["input"][] = [
  "SignIn",
  "SignOut",
  "StartBreak",
  "EndBreak",
];

export interface TrafficModel {
  readonly seed: string;
  /** The recorded period's start (ISO), for a re-run at the same platform times. */
  readonly startAt?: string;
  /** The callers of a recorded day, in addition to `arrivals`. */
  readonly calls?: readonly RecordedCall[];
  /** Per agent: the recorded timeline; agents listed with none were never signed in. */
  readonly agentTimeline?: Readonly<Record<string, readonly TimelineEntry[]>>;
  /**
   * Per agent: what their phone did with each offer of the recorded day, in order (null: unknown, the offer
   * was taken back first). Replayed offer by offer, then the agent's behaviour is drawn from.
   */
  readonly agentOffers?: Readonly<Record<string, readonly (PhoneAction | null)[]>>;
  /** The simulated period: calls arrive during it. */
  readonly durationSec: number;
  /** Service level threshold: share of calls answered within this many seconds. */
  readonly serviceLevelSec: number;
  readonly arrivals: readonly Arrival[];
  readonly callers: CallerBehaviour;
  readonly agents: {
    readonly default: AgentBehaviour;
    readonly byAgent: Readonly<Record<string, AgentBehaviour>>;
  };
}

export const DEFAULT_AGENT: AgentBehaviour = {
  answerDelay: { kind: "logNormal", meanSec: 4, sdSec: 2 },
  noAnswer: 0.08,
  busy: 0.03,
  reject: 0.02,
};

export const DEFAULT_CALLER: CallerBehaviour = {
  talkTime: { kind: "exponential", meanSec: 150 },
  patience: { kind: "exponential", meanSec: 90 },
  voicemail: { kind: "uniform", minSec: 5, maxSec: 30 },
  ivr: {},
};

/** Without a traffic file: every business number gets Poisson arrivals at `perHour`, 10 minutes. */
export function defaultTraffic(businessNumbers: readonly string[], perHour = 60): TrafficModel {
  return {
    seed: "switchyard",
    durationSec: 600,
    serviceLevelSec: 20,
    arrivals: businessNumbers.map((number) => ({ kind: "poisson", number, perHour })),
    callers: DEFAULT_CALLER,
    agents: { default: DEFAULT_AGENT, byAgent: {} },
  };
}

/** The traffic file (or section) was rejected; the message lists every problem, one per line. */
export class TrafficConfigError extends Error {
  override readonly name = "TrafficConfigError";
  constructor(
    readonly file: string,
    readonly issues: readonly ContactCentreIssue[],
  ) {
    super(issues.map(formatIssue).join("\n"));
  }
}

/**
 * Reads a `traffic` section (or a whole document that is one) over the defaults, checking it against the
 * contact centre it will drive: numbers must be routed, agents and IVR menus must exist.
 */
export function parseTraffic(
  value: unknown,
  file: string,
  config: ConfigSnapshot,
  base: TrafficModel = defaultTraffic(Object.keys(config.numbers)),
): TrafficModel {
  const c = new Checker(file);
  const root = value !== null && typeof value === "object" && "traffic" in (value as Fields) ? "traffic" : "";
  const f = c.mapping(root ? (value as Fields).traffic : value, root, [
    "seed",
    "minutes",
    "serviceLevelSec",
    "arrivals",
    "callers",
    "agents",
    "startAt",
    "calls",
    "agentTimeline",
    "agentOffers",
  ]);
  if (!f) throw new TrafficConfigError(file, c.issues);
  const seedValue = f.seed;
  let seed = base.seed;
  if (typeof seedValue === "string" || typeof seedValue === "number") seed = String(seedValue);
  else if (seedValue !== undefined) c.problem(joinPath(root, "seed"), "must be a string or a number");
  const minutes = c.number(f, "minutes", root, { positive: true });
  const serviceLevelSec = c.number(f, "serviceLevelSec", root, { positive: true }) ?? base.serviceLevelSec;

  let arrivals = base.arrivals;
  if (f.arrivals !== undefined) arrivals = readArrivals(f.arrivals, joinPath(root, "arrivals"), c, config);

  let callers = base.callers;
  if (f.callers !== undefined) {
    const p = joinPath(root, "callers");
    const cf = c.mapping(f.callers, p, ["talkTime", "patience", "voicemail", "ivr"]);
    if (cf) {
      let patience = base.callers.patience;
      if (cf.patience === "never") patience = undefined;
      else if (cf.patience !== undefined) patience = readDistribution(cf, "patience", p, c) ?? patience;
      callers = {
        talkTime: readDistribution(cf, "talkTime", p, c) ?? base.callers.talkTime,
        voicemail: readDistribution(cf, "voicemail", p, c) ?? base.callers.voicemail,
        ivr: cf.ivr === undefined ? base.callers.ivr : readIvr(cf.ivr, joinPath(p, "ivr"), c, config),
        ...(patience === undefined ? {} : { patience }),
      };
    }
  }

  let agents = base.agents;
  if (f.agents !== undefined) {
    const p = joinPath(root, "agents");
    const af = c.mapping(f.agents, p);
    if (af) {
      const byAgent: Record<string, AgentBehaviour> = { ...base.agents.byAgent };
      const def =
        af.default === undefined
          ? base.agents.default
          : readAgent(af.default, joinPath(p, "default"), c, base.agents.default);
      for (const [agentId, spec] of Object.entries(af)) {
        if (agentId === "default") continue;
        if (!config.agents[agentId]) {
          c.problem(joinPath(p, agentId), `unknown agent "${agentId}" (not in the contact centre's agents)`);
          continue;
        }
        byAgent[agentId] = readAgent(spec, joinPath(p, agentId), c, byAgent[agentId] ?? def);
      }
      agents = { default: def, byAgent };
    }
  }
  const startAt = c.string(f, "startAt", root);
  if (startAt !== undefined && Number.isNaN(Date.parse(startAt)))
    c.problem(joinPath(root, "startAt"), "must be an ISO date-time");
  const calls = f.calls === undefined ? base.calls : readCalls(f.calls, joinPath(root, "calls"), c, config);
  const agentTimeline =
    f.agentTimeline === undefined
      ? base.agentTimeline
      : readTimeline(f.agentTimeline, joinPath(root, "agentTimeline"), c);
  const agentOffers =
    f.agentOffers === undefined
      ? base.agentOffers
      : readOffers(f.agentOffers, joinPath(root, "agentOffers"), c, config);
  if (c.issues.length > 0) throw new TrafficConfigError(file, c.issues);
  return {
    ...(agentOffers === undefined ? {} : { agentOffers }),
    ...(startAt === undefined ? {} : { startAt }),
    ...(calls === undefined ? {} : { calls }),
    ...(agentTimeline === undefined ? {} : { agentTimeline }),
    seed,
    durationSec: minutes === undefined ? base.durationSec : minutes * 60,
    serviceLevelSec,
    arrivals,
    callers,
    agents,
  };
}

function readArrivals(value: unknown, path: string, c: Checker, config: ConfigSnapshot): Arrival[] {
  const arrivals: Arrival[] = [];
  c.list(value, path)?.forEach((item, i) => {
    const p = joinPath(path, i);
    const f = c.mapping(item, p, ["number", "perHour", "schedule", "everySec", "startSec"]);
    if (!f) return;
    const number = c.string(f, "number", p, true);
    if (number !== undefined && !config.numbers[number])
      c.problem(joinPath(p, "number"), `${number} is not a business number of the contact centre`);
    const kinds = ["perHour", "schedule", "everySec"].filter((k) => f[k] !== undefined);
    if (kinds.length !== 1) {
      c.problem(p, "give exactly one of perHour (Poisson), schedule (seconds list) or everySec");
      return;
    }
    if (f.perHour !== undefined) {
      const perHour = c.number(f, "perHour", p, { min: 0 });
      if (number !== undefined && perHour !== undefined) arrivals.push({ kind: "poisson", number, perHour });
    } else if (f.schedule !== undefined) {
      const atSec: number[] = [];
      c.list(f.schedule, joinPath(p, "schedule"))?.forEach((t, j) => {
        if (typeof t === "number" && t >= 0) atSec.push(t);
        else
          c.problem(
            joinPath(joinPath(p, "schedule"), j),
            `must be seconds (0 or more), got ${JSON.stringify(t)}`,
          );
      });
      if (number !== undefined)
        arrivals.push({ kind: "schedule", number, atSec: atSec.sort((a, b) => a - b) });
    } else {
      const everySec = c.number(f, "everySec", p, { positive: true });
      const startSec = c.number(f, "startSec", p, { min: 0 }) ?? 0;
      if (number !== undefined && everySec !== undefined)
        arrivals.push({ kind: "every", number, everySec, startSec });
    }
  });
  return arrivals;
}

const CALL_NUMBERS = ["atSec", "talkSec", "patienceSec", "waitedAtLeastSec", "voicemailSec"] as const;

function readCalls(value: unknown, path: string, c: Checker, config: ConfigSnapshot): RecordedCall[] {
  const calls: RecordedCall[] = [];
  c.list(value, path)?.forEach((item, i) => {
    const p = joinPath(path, i);
    const f = c.mapping(item, p, ["number", "from", "digits", ...CALL_NUMBERS]);
    if (!f) return;
    const number = c.string(f, "number", p, true);
    if (number !== undefined && !config.numbers[number])
      c.problem(joinPath(p, "number"), `${number} is not a business number of the contact centre`);
    const from = c.string(f, "from", p);
    const nums: Partial<Record<(typeof CALL_NUMBERS)[number], number>> = {};
    for (const key of CALL_NUMBERS) {
      const n = c.number(f, key, p, { min: 0, required: key === "atSec" });
      if (n !== undefined) nums[key] = n;
    }
    let digits: string[] | undefined;
    if (f.digits !== undefined) {
      const d = String(f.digits);
      if (/^[0-9*#]*$/.test(d)) digits = [...d];
      else
        c.problem(
          joinPath(p, "digits"),
          `must be the digits pressed (0-9, *, #), got ${JSON.stringify(f.digits)}`,
        );
    }
    if (number === undefined || nums.atSec === undefined) return;
    calls.push({
      ...nums,
      atSec: nums.atSec,
      number,
      ...(from === undefined ? {} : { from }),
      ...(digits === undefined ? {} : { digits }),
    });
  });
  return calls.sort((a, b) => a.atSec - b.atSec);
}

function readTimeline(value: unknown, path: string, c: Checker): Record<string, TimelineEntry[]> {
  const out: Record<string, TimelineEntry[]> = {};
  for (const [agentId, list] of Object.entries(c.mapping(value, path) ?? {})) {
    const p = joinPath(path, agentId);
    const entries: TimelineEntry[] = [];
    c.list(list ?? [], p)?.forEach((item, i) => {
      const ip = joinPath(p, i);
      const f = c.mapping(item, ip, ["atSec", "input"]);
      if (!f) return;
      const atSec = c.number(f, "atSec", ip, { required: true });
      const input = c.string(f, "input", ip, true);
      if (input !== undefined && !TIMELINE_INPUTS.includes(input as TimelineEntry["input"]))
        c.problem(joinPath(ip, "input"), `must be one of ${TIMELINE_INPUTS.join(", ")}`);
      else if (atSec !== undefined && input !== undefined)
        entries.push({ atSec, input: input as TimelineEntry["input"] });
    });
    out[agentId] = entries.sort((a, b) => a.atSec - b.atSec);
  }
  return out;
}

/** `[3.5, noAnswer, busy, reject 2, "?"]`: answer after 3.5 s, ..., declined after 2 s, unknown. */
function readOffers(
  value: unknown,
  path: string,
  c: Checker,
  config: ConfigSnapshot,
): Record<string, Array<PhoneAction | null>> {
  const out: Record<string, Array<PhoneAction | null>> = {};
  for (const [agentId, list] of Object.entries(c.mapping(value, path) ?? {})) {
    const p = joinPath(path, agentId);
    // `number:+44...`, `sip:...`: a phone a Connect applet rings directly.
    if (!config.agents[agentId] && !agentId.includes(":")) c.problem(p, `unknown agent "${agentId}"`);
    out[agentId] =
      c.list(list, p)?.map((item, i) => {
        const action = parseOffer(item);
        if (action === undefined)
          c.problem(
            joinPath(p, i),
            `must be seconds to answer, noAnswer, busy, "reject SECONDS" or "?"; got ${JSON.stringify(item)}`,
          );
        return action ?? null;
      }) ?? [];
  }
  return out;
}

function parseOffer(item: unknown): PhoneAction | null | undefined {
  if (typeof item === "number" && item >= 0) return { kind: "answer", afterSec: item };
  if (item === "?" || item === null) return null;
  if (item === "noAnswer" || item === "busy") return { kind: item };
  const m = typeof item === "string" ? /^reject (\d+(?:\.\d+)?)$/.exec(item) : null;
  return m ? { kind: "reject", afterSec: Number(m[1]) } : undefined;
}

/** One offer as the traffic file writes it (see `readOffers`). */
export function offerText(action: PhoneAction | null): number | string {
  if (action === null) return "?";
  if (action.kind === "answer") return action.afterSec;
  if (action.kind === "reject") return `reject ${action.afterSec}`;
  return action.kind;
}

function readIvr(
  value: unknown,
  path: string,
  c: Checker,
  config: ConfigSnapshot,
): Record<string, Record<string, number>> {
  const menus = new Map<string, Set<string>>();
  for (const flow of Object.values(config.flows))
    for (const [id, a] of Object.entries(flow.applets))
      if (a.kind === "ivrMenu")
        menus.set(id, new Set([...(menus.get(id) ?? []), ...Object.keys(a.branches)]));
  const out: Record<string, Record<string, number>> = {};
  const f = c.mapping(value, path);
  for (const [menuId, spec] of Object.entries(f ?? {})) {
    const p = joinPath(path, menuId);
    const digits = menus.get(menuId);
    if (!digits) {
      c.problem(p, `no IVR menu "${menuId}" in the contact centre's flows`);
      continue;
    }
    const sf = c.mapping(spec, p);
    if (!sf) continue;
    const probs: Record<string, number> = {};
    let total = 0;
    for (const digit of Object.keys(sf)) {
      const prob = c.number(sf, digit, p, { min: 0 });
      if (prob === undefined) continue;
      if (!digits.has(digit))
        c.problem(joinPath(p, digit), `menu "${menuId}" has no branch for digit ${digit}`);
      probs[digit] = prob;
      total += prob;
    }
    if (total > 1 + 1e-9) c.problem(p, `probabilities add up to ${total}, more than 1`);
    out[menuId] = probs;
  }
  return out;
}

function readAgent(value: unknown, path: string, c: Checker, base: AgentBehaviour): AgentBehaviour {
  const f = c.mapping(value, path, ["answerDelay", "noAnswer", "busy", "reject"]);
  if (!f) return base;
  const prob = (key: "noAnswer" | "busy" | "reject") => {
    const v = c.number(f, key, path, { min: 0 });
    if (v !== undefined && v > 1) {
      c.problem(joinPath(path, key), `a probability must be at most 1, got ${v}`);
      return base[key];
    }
    return v ?? base[key];
  };
  const a: AgentBehaviour = {
    answerDelay: readDistribution(f, "answerDelay", path, c) ?? base.answerDelay,
    noAnswer: prob("noAnswer"),
    busy: prob("busy"),
    reject: prob("reject"),
  };
  if (a.noAnswer + a.busy + a.reject > 1 + 1e-9)
    c.problem(path, "noAnswer + busy + reject must be at most 1");
  return a;
}

const DISTRIBUTIONS =
  "a number of seconds, { fixed }, { exponential }, { logNormal: { meanSec, sdSec } } or { uniform: { minSec, maxSec } }";

/** `5`, `{ fixed: 5 }`, `{ exponential: 60 }` / `{ exponential: { meanSec: 60 } }`, `{ logNormal: {...} }`, `{ uniform: {...} }`. */
export function readDistribution(
  fields: Fields,
  key: string,
  path: string,
  c: Checker,
): Distribution | undefined {
  const value = fields[key];
  const p = joinPath(path, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") {
    if (value >= 0) return { kind: "fixed", sec: value };
    c.problem(p, `must be 0 or more, got ${value}`);
    return undefined;
  }
  const f =
    value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Fields) : undefined;
  const kinds = f ? Object.keys(f) : [];
  if (!f || kinds.length !== 1) {
    c.problem(p, `must be ${DISTRIBUTIONS}`);
    return undefined;
  }
  const kind = kinds[0]!;
  const inner = f[kind];
  const params = (names: readonly string[]): Record<string, number> | undefined => {
    if (typeof inner === "number" && names.length === 1) return { [names[0]!]: inner };
    const pf = c.mapping(inner, joinPath(p, kind), names);
    if (!pf) return undefined;
    const out: Record<string, number> = {};
    for (const name of names) {
      const n = c.number(pf, name, joinPath(p, kind), { required: true, min: 0 });
      if (n === undefined) return undefined;
      out[name] = n;
    }
    return out;
  };
  switch (kind) {
    case "fixed": {
      const v = params(["sec"]);
      return v && { kind: "fixed", sec: v.sec! };
    }
    case "exponential": {
      const v = params(["meanSec"]);
      if (v && !(v.meanSec! > 0)) c.problem(joinPath(p, kind), "the mean must be greater than 0");
      return v && v.meanSec! > 0 ? { kind: "exponential", meanSec: v.meanSec! } : undefined;
    }
    case "logNormal": {
      const v = params(["meanSec", "sdSec"]);
      if (v && !(v.meanSec! > 0)) c.problem(joinPath(p, kind), "the mean must be greater than 0");
      return v && v.meanSec! > 0 ? { kind: "logNormal", meanSec: v.meanSec!, sdSec: v.sdSec! } : undefined;
    }
    case "uniform": {
      const v = params(["minSec", "maxSec"]);
      if (v && v.maxSec! < v.minSec!) c.problem(joinPath(p, kind), "maxSec must not be less than minSec");
      return v && v.maxSec! >= v.minSec!
        ? { kind: "uniform", minSec: v.minSec!, maxSec: v.maxSec! }
        : undefined;
    }
    default:
      c.problem(p, `unknown distribution "${kind}" (expected ${DISTRIBUTIONS})`);
      return undefined;
  }
}

// ---- planning: the model turned into scripts for the simulated media driver ----

/** A DTMF step for the simulated driver: pressed after the next prompt played to the caller finished. */
export interface PromptedDigits {
  readonly digits: string;
  readonly whenPrompted: true;
  readonly afterSec?: number;
}

/** One caller, in the shape of the media gateway's `InboundCallScript`, plus when it arrives. */
export interface SimulatedCall {
  readonly index: number;
  /** Seconds from the start of the simulated period. */
  readonly atSec: number;
  readonly from: string;
  readonly to: string;
  /** One entry per prompt the caller hears before reaching an agent ("" for a greeting: no key). */
  readonly dtmf: readonly PromptedDigits[];
  readonly patienceSec?: number;
  readonly talkSec: number;
  readonly voicemailSec: number;
}

/** What an agent's phone does with one offered call, in the shape of the gateway's `PhoneBehaviour`. */
export type PhoneAction =
  | { readonly kind: "answer"; readonly afterSec: number }
  | { readonly kind: "noAnswer" }
  | { readonly kind: "busy" }
  | { readonly kind: "reject"; readonly afterSec: number };

export interface PhonePlan {
  readonly agentId: string;
  /** The number or SIP URI the agent is rung at (the gateway's phone key). */
  readonly key: string;
  /** The agent's next action; each call draws from the agent's own seeded sequence. */
  readonly next: () => PhoneAction;
}

/**
 * Every caller of the period, in arrival order: the generated arrivals and a recorded day's callers. Each call
 * draws what is not recorded from its own seeded sequence.
 */
export function planCalls(model: TrafficModel, config: ConfigSnapshot): SimulatedCall[] {
  const arrivals: Array<{ atSec: number; number: string; recorded?: RecordedCall }> = [];
  model.arrivals.forEach((a, i) => {
    const times =
      a.kind === "poisson"
        ? poissonArrivals(
            a.perHour,
            model.durationSec,
            seededRandom(`${model.seed}:arrivals:${i}:${a.number}`),
          )
        : a.kind === "every"
          ? Array.from(
              { length: Math.max(0, Math.ceil((model.durationSec - a.startSec) / a.everySec)) },
              (_, k) => a.startSec + k * a.everySec,
            )
          : a.atSec.filter((t) => t < model.durationSec);
    for (const atSec of times) arrivals.push({ atSec, number: a.number });
  });
  for (const recorded of model.calls ?? [])
    arrivals.push({ atSec: recorded.atSec, number: recorded.number, recorded });
  arrivals.sort((x, y) => x.atSec - y.atSec || x.number.localeCompare(y.number));
  return arrivals.map(({ atSec, number, recorded }, index) => {
    const rng = seededRandom(`${model.seed}:call:${index}`);
    const flowId = config.numbers[number]?.flowId;
    const flow = flowId === undefined ? undefined : config.flows[flowId];
    const talkSec = round(sample(model.callers.talkTime, rng));
    const voicemailSec = round(sample(model.callers.voicemail, rng));
    if (!recorded) {
      const patience = model.callers.patience;
      return {
        index,
        atSec,
        from: callerNumber(index),
        to: number,
        dtmf: flow ? ivrPath(flow, model.callers.ivr, rng) : [],
        talkSec,
        voicemailSec,
        ...(patience === undefined ? {} : { patienceSec: round(sample(patience, rng)) }),
      };
    }
    // A recorded caller's patience: what they showed, else at least what they waited plus a draw from the
    // patience distribution (exponential when fitted by extract: memoryless, so that is the distribution
    // conditioned on having waited that long).
    const patience = model.callers.patience;
    const patienceSec =
      recorded.patienceSec ??
      (patience === undefined ? undefined : round((recorded.waitedAtLeastSec ?? 0) + sample(patience, rng)));
    const digits = [...(recorded.digits ?? [])];
    return {
      index,
      atSec,
      from: recorded.from ?? callerNumber(index),
      to: number,
      dtmf: flow ? promptPath(flow, () => digits.shift()) : [],
      talkSec: recorded.talkSec ?? talkSec,
      voicemailSec: recorded.voicemailSec ?? voicemailSec,
      ...(patienceSec === undefined ? {} : { patienceSec }),
    };
  });
}

/**
 * A phone plan per agent of the contact centre, plus one (with the default behaviour, `agentId` set to
 * `number:<n>` / `sip:<uri>`) for every number or SIP URI a Connect applet rings directly.
 */
export function planPhones(model: TrafficModel, config: ConfigSnapshot): PhonePlan[] {
  const plans = Object.values(config.agents).map((agent) => {
    const behaviour = model.agents.byAgent[agent.agentId] ?? model.agents.default;
    const rng = seededRandom(`${model.seed}:agent:${agent.agentId}`);
    // A recorded day's offers first, as the agent's phone met them; then drawn from the behaviour.
    const recorded = [...(model.agentOffers?.[agent.agentId] ?? [])];
    return {
      agentId: agent.agentId,
      key: contactKey(agent.contact),
      next: () => recorded.shift() ?? drawAction(behaviour, rng),
    };
  });
  const keys = new Set(plans.map((p) => p.key));
  for (const flow of Object.values(config.flows)) {
    for (const applet of Object.values(flow.applets)) {
      if (applet.kind !== "connect" || applet.target.kind === "agent" || applet.target.kind === "group")
        continue;
      const key = applet.target.kind === "sip" ? applet.target.uri : applet.target.number;
      if (keys.has(key)) continue;
      keys.add(key);
      const rng = seededRandom(`${model.seed}:phone:${key}`);
      const agentId = `${applet.target.kind === "sip" ? "sip" : "number"}:${key}`;
      const recorded = [...(model.agentOffers?.[agentId] ?? [])];
      plans.push({ agentId, key, next: () => recorded.shift() ?? drawAction(model.agents.default, rng) });
    }
  }
  return plans;
}

export function drawAction(b: AgentBehaviour, rng: Random): PhoneAction {
  const u = rng();
  if (u < b.noAnswer) return { kind: "noAnswer" };
  if (u < b.noAnswer + b.busy) return { kind: "busy" };
  const delay = round(sample(b.answerDelay, rng));
  if (u < b.noAnswer + b.busy + b.reject) return { kind: "reject", afterSec: delay };
  return { kind: "answer", afterSec: delay };
}

/**
 * The keys the caller presses on the way to an agent: walks the flow from its start, one entry per prompt
 * (greetings press nothing, menus draw a digit), up to the first applet that is not a prompt.
 */
export function ivrPath(
  flow: Flow,
  ivr: Readonly<Record<string, Readonly<Record<string, number>>>>,
  rng: Random,
): PromptedDigits[] {
  return promptPath(flow, (menuId, branches) => {
    const probs = ivr[menuId] ?? Object.fromEntries(branches.map((d, _i, all) => [d, 1 / all.length]));
    const u = rng();
    let acc = 0;
    for (const [digit, p] of Object.entries(probs)) {
      acc += p;
      if (u < acc) return digit;
    }
    return undefined;
  });
}

/**
 * Walks a flow from its start, one entry per prompt (greetings press nothing, each menu the digit `choose`
 * gives), up to the first applet that is not a prompt or a menu where nothing is pressed.
 */
export function promptPath(
  flow: Flow,
  choose: (menuId: string, branches: readonly string[]) => string | undefined,
): PromptedDigits[] {
  const steps: PromptedDigits[] = [];
  let id: string | undefined = flow.start;
  for (let hops = 0; id !== undefined && hops < 32; hops++) {
    const applet: Flow["applets"][string] | undefined = flow.applets[id];
    if (!applet) break;
    if (applet.kind === "greeting") {
      steps.push({ digits: "", whenPrompted: true });
      id = applet.next;
    } else if (applet.kind === "ivrMenu") {
      const chosen = choose(id, Object.keys(applet.branches));
      if (chosen === undefined) break; // presses nothing: the menu's timeout path
      steps.push({ digits: chosen, whenPrompted: true });
      id = applet.branches[chosen];
    } else {
      break;
    }
  }
  return steps;
}

/** Distinct, valid E.164 caller numbers (+1 555 01xx xxxx is reserved for fiction). */
export const callerNumber = (index: number): string =>
  `+1555${String(1_000_000 + (index % 9_000_000)).padStart(7, "0")}`;

const contactKey = (contact: Contact): string => (contact.kind === "phone" ? contact.number : contact.uri);
const round = (sec: number): number => Math.round(sec * 10) / 10;
