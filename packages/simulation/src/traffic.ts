import { type Random, seededRandom } from "@switchyard/clock";
import {
  byShape,
  type ContactCentreIssue,
  count,
  describe,
  formatIssue,
  joinPath as join,
  list,
  mapping,
  type Problem,
  read,
  readItem,
  text,
} from "@switchyard/contact-centre";
import {
  type ConfigSnapshot,
  type Contact,
  type Flow,
  isE164,
  type TransferTarget,
} from "@switchyard/routing-domain";
import { z } from "zod";
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
  /** The agent who answered transferred the call. */
  readonly transfer?: RecordedTransfer;
  /** The caller asked to be called back when offered (their `talkSec` is then the call back's). */
  readonly callback?: RecordedCallback;
}

/**
 * A transfer of a recorded call, replayed by the phone of whichever agent answers the caller in the re-run
 * (so a variant that routes the call elsewhere still transfers it, to the same place).
 */
export interface RecordedTransfer {
  /** Seconds of talk with the answering agent before they started the transfer. */
  readonly afterSec: number;
  readonly mode: "warm" | "blind";
  /** `group:<id>`, `agent:<id>` or a number (E.164). */
  readonly to: string;
  /** Warm: seconds the agent talked with the target before completing (dropping out). */
  readonly consultSec?: number;
  /** Seconds the caller talked once put through again (to the target, or back to the agent if it failed). */
  readonly talkSec?: number;
}

/** A caller who took the queue's callback offer; re-run, they take it whenever it is offered. */
export interface RecordedCallback {
  /** Seconds from arrival to the request, as recorded (for reading: the re-run's offer comes when it comes). */
  readonly afterSec?: number;
  /** The number to call back, when not the caller's own (they entered it). */
  readonly number?: string;
  /** What their phone did with each call back, in order (as `agentOffers`); the last one repeats. */
  readonly answers: readonly (PhoneAction | null)[];
}

/** `group:sales`, `agent:alice`: how transfers name their targets in a traffic file and to the gateway. */
export function transferTargetText(target: TransferTarget): string {
  if (target.kind === "group") return `group:${target.groupId}`;
  if (target.kind === "agent") return `agent:${target.agentId}`;
  return target.number;
}

/** The transfer codes the simulated agents' phones dial: `group:<id>` and `agent:<id>` for each of `config`'s. */
export function transferCodes(config: ConfigSnapshot): Record<string, TransferTarget> {
  const codes: Record<string, TransferTarget> = {};
  for (const groupId of Object.keys(config.groups)) codes[`group:${groupId}`] = { kind: "group", groupId };
  for (const agentId of Object.keys(config.agents)) codes[`agent:${agentId}`] = { kind: "agent", agentId };
  return codes;
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

// ---- reading: zod schemas in the contact-centre file's own words, read item by item (every problem at once,
// in the order of the file's sections), then the checks against the contact centre the traffic will drive ----

/** A mapping of free keys (agent ids, menu ids, digits). */
const anyMapping = z.record(z.string(), z.unknown(), {
  error: (i) => `must be a mapping, got ${describe(i.input)}`,
});
/** A field read later, in its own turn (so problems are listed in the order the fields are read). */
const later = () => z.unknown().optional();

/** A business number routed by the contact centre. */
const businessNumber = (config: ConfigSnapshot) =>
  text().refine((n) => Boolean(config.numbers[n]), {
    error: (i) => `${i.input} is not a business number of the contact centre`,
  });

const traffic = mapping({
  seed: z
    .custom<string | number>((v) => typeof v === "string" || typeof v === "number", {
      error: "must be a string or a number",
    })
    .transform(String)
    .optional(),
  minutes: count({ positive: true }).nullish(),
  serviceLevelSec: count({ positive: true }).nullish(),
  arrivals: later(),
  callers: later(),
  agents: later(),
  startAt: later(),
  calls: later(),
  agentTimeline: later(),
  agentOffers: later(),
});

const startAtSchema = text()
  .refine((v) => !Number.isNaN(Date.parse(v)), { error: "must be an ISO date-time" })
  .nullish();

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
  const problems: Problem[] = [];
  const rejected = () =>
    new TrafficConfigError(
      file,
      problems.map((p) => ({ file, ...p })),
    );
  const root =
    value !== null && typeof value === "object" && "traffic" in (value as Record<string, unknown>)
      ? "traffic"
      : "";
  const f = readItem(traffic, root ? (value as Record<string, unknown>).traffic : value, root, problems);
  if (!f) throw rejected();
  const seed = f.seed ?? base.seed;
  const minutes = f.minutes ?? undefined;
  const serviceLevelSec = f.serviceLevelSec ?? base.serviceLevelSec;

  let arrivals = base.arrivals;
  if (f.arrivals !== undefined) arrivals = readArrivals(f.arrivals, join(root, "arrivals"), problems, config);

  let callers = base.callers;
  if (f.callers !== undefined)
    callers = readCallers(f.callers, join(root, "callers"), problems, config, base);

  let agents = base.agents;
  if (f.agents !== undefined) {
    const p = join(root, "agents");
    const af = read(anyMapping, f.agents, p, problems);
    if (af) {
      const byAgent: Record<string, AgentBehaviour> = { ...base.agents.byAgent };
      const def =
        af.default === undefined
          ? base.agents.default
          : readAgent(af.default, join(p, "default"), problems, base.agents.default);
      for (const [agentId, spec] of Object.entries(af)) {
        if (agentId === "default") continue;
        if (!config.agents[agentId]) {
          problems.push({
            path: join(p, agentId),
            reason: `unknown agent "${agentId}" (not in the contact centre's agents)`,
          });
          continue;
        }
        byAgent[agentId] = readAgent(spec, join(p, agentId), problems, byAgent[agentId] ?? def);
      }
      agents = { default: def, byAgent };
    }
  }
  const startAt = read(startAtSchema, f.startAt, join(root, "startAt"), problems) ?? undefined;
  const calls =
    f.calls === undefined ? base.calls : readCalls(f.calls, join(root, "calls"), problems, config);
  const agentTimeline =
    f.agentTimeline === undefined
      ? base.agentTimeline
      : readTimeline(f.agentTimeline, join(root, "agentTimeline"), problems);
  const agentOffers =
    f.agentOffers === undefined
      ? base.agentOffers
      : readOffers(f.agentOffers, join(root, "agentOffers"), problems, config);
  if (problems.length > 0) throw rejected();
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

/** A list whose items are read one by one (each item's problems together, unknown fields first). */
const items = list(z.unknown());

const arrival = (config: ConfigSnapshot) =>
  mapping({
    number: businessNumber(config),
    perHour: later(),
    schedule: later(),
    everySec: later(),
    startSec: later(),
  });

const scheduleSchema = list(
  z.custom<number>((t) => typeof t === "number" && t >= 0, {
    error: (i) => `must be seconds (0 or more), got ${JSON.stringify(i.input)}`,
  }),
);

function readArrivals(value: unknown, path: string, problems: Problem[], config: ConfigSnapshot): Arrival[] {
  const arrivals: Arrival[] = [];
  const schema = arrival(config);
  read(items, value, path, problems)?.forEach((item, i) => {
    const p = join(path, i);
    const f = readItem(schema, item, p, problems);
    if (!f) return;
    const { number } = f;
    // Exactly one way of arriving; the others' fields are not read (given as empty, a way still counts).
    const kinds = (["perHour", "schedule", "everySec"] as const).filter((k) => f[k] !== undefined);
    if (kinds.length !== 1) {
      problems.push({
        path: p,
        reason: "give exactly one of perHour (Poisson), schedule (seconds list) or everySec",
      });
      return;
    }
    if (f.perHour !== undefined) {
      const perHour = read(count({ min: 0 }).nullish(), f.perHour, join(p, "perHour"), problems);
      if (number !== undefined && typeof perHour === "number")
        arrivals.push({ kind: "poisson", number, perHour });
    } else if (f.schedule !== undefined) {
      const atSec = read(scheduleSchema, f.schedule, join(p, "schedule"), problems) ?? [];
      if (number !== undefined)
        arrivals.push({ kind: "schedule", number, atSec: [...atSec].sort((a, b) => a - b) });
    } else {
      const everySec = read(count({ positive: true }).nullish(), f.everySec, join(p, "everySec"), problems);
      const startSec = read(count({ min: 0 }).nullish(), f.startSec, join(p, "startSec"), problems) ?? 0;
      if (number !== undefined && typeof everySec === "number")
        arrivals.push({ kind: "every", number, everySec, startSec });
    }
  });
  return arrivals;
}

const callerFields = mapping({ talkTime: later(), patience: later(), voicemail: later(), ivr: later() });

function readCallers(
  value: unknown,
  p: string,
  problems: Problem[],
  config: ConfigSnapshot,
  base: TrafficModel,
): CallerBehaviour {
  const cf = readItem(callerFields, value, p, problems);
  if (!cf) return base.callers;
  let patience = base.callers.patience;
  if (cf.patience === "never") patience = undefined;
  else if (cf.patience !== undefined)
    patience = read(distribution.nullish(), cf.patience, join(p, "patience"), problems) ?? patience;
  return {
    talkTime:
      read(distribution.nullish(), cf.talkTime, join(p, "talkTime"), problems) ?? base.callers.talkTime,
    voicemail:
      read(distribution.nullish(), cf.voicemail, join(p, "voicemail"), problems) ?? base.callers.voicemail,
    ivr: cf.ivr === undefined ? base.callers.ivr : readIvr(cf.ivr, join(p, "ivr"), problems, config),
    ...(patience === undefined ? {} : { patience }),
  };
}

const CALL_NUMBERS = ["atSec", "talkSec", "patienceSec", "waitedAtLeastSec", "voicemailSec"] as const;

const recordedCall = (config: ConfigSnapshot) =>
  mapping({
    number: businessNumber(config),
    from: text().nullish(),
    digits: later(),
    atSec: count({ min: 0 }),
    talkSec: count({ min: 0 }).nullish(),
    patienceSec: count({ min: 0 }).nullish(),
    waitedAtLeastSec: count({ min: 0 }).nullish(),
    voicemailSec: count({ min: 0 }).nullish(),
    transfer: recordedTransfer(config).optional(),
    callback: recordedCallback.optional(),
  });

const recordedTransfer = (config: ConfigSnapshot) => {
  const codes = transferCodes(config);
  return mapping({
    afterSec: count({ min: 0 }),
    mode: z.enum(["warm", "blind"], { error: (i) => `must be warm or blind, got ${describe(i.input)}` }),
    to: text().refine((to) => Object.hasOwn(codes, to) || isE164(to), {
      error: (i) => `${i.input} is not group:<id> or agent:<id> of the contact centre, nor an E.164 number`,
    }),
    consultSec: count({ min: 0 }).nullish(),
    talkSec: count({ min: 0 }).nullish(),
  });
};

const recordedCallback = mapping({
  afterSec: count({ min: 0 }).nullish(),
  number: text()
    .refine(isE164, { error: (i) => `must be an E.164 number, got ${describe(i.input)}` })
    .nullish(),
  answers: z.lazy(() => offers),
});

/** The keys pressed, read as text: `digits: 12` is the keys 1 then 2. */
const digitsSchema = z
  .unknown()
  .transform((v, ctx) => {
    const d = String(v);
    if (/^[0-9*#]*$/.test(d)) return [...d];
    ctx.addIssue({
      code: "custom",
      message: `must be the digits pressed (0-9, *, #), got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  })
  .optional();

function readCalls(
  value: unknown,
  path: string,
  problems: Problem[],
  config: ConfigSnapshot,
): RecordedCall[] {
  const calls: RecordedCall[] = [];
  const schema = recordedCall(config);
  read(items, value, path, problems)?.forEach((item, i) => {
    const p = join(path, i);
    const f = readItem(schema, item, p, problems);
    if (!f) return;
    const { number, from } = f;
    const nums: Partial<Record<(typeof CALL_NUMBERS)[number], number>> = {};
    for (const key of CALL_NUMBERS) {
      const n = f[key];
      if (typeof n === "number") nums[key] = n;
    }
    const digits = read(digitsSchema, f.digits, join(p, "digits"), problems);
    if (number === undefined || nums.atSec === undefined) return;
    const { transfer, callback } = f;
    calls.push({
      ...nums,
      atSec: nums.atSec,
      number,
      ...(typeof from === "string" ? { from } : {}),
      ...(digits === undefined ? {} : { digits }),
      ...(transfer?.afterSec === undefined || !transfer.mode || !transfer.to
        ? {}
        : { transfer: definedFields(transfer) as unknown as RecordedTransfer }),
      ...(callback?.answers === undefined
        ? {}
        : { callback: definedFields(callback) as unknown as RecordedCallback }),
    });
  });
  return calls.sort((a, b) => a.atSec - b.atSec);
}

const timelineEntry = mapping({
  atSec: count(),
  input: text().refine((v) => TIMELINE_INPUTS.includes(v as TimelineEntry["input"]), {
    error: `must be one of ${TIMELINE_INPUTS.join(", ")}`,
  }),
});

function readTimeline(value: unknown, path: string, problems: Problem[]): Record<string, TimelineEntry[]> {
  const out: Record<string, TimelineEntry[]> = {};
  for (const [agentId, list] of Object.entries(read(anyMapping, value, path, problems) ?? {})) {
    const p = join(path, agentId);
    const entries: TimelineEntry[] = [];
    read(items, list ?? [], p, problems)?.forEach((item, i) => {
      const f = readItem(timelineEntry, item, join(p, i), problems);
      if (f?.atSec !== undefined && f.input !== undefined)
        entries.push({ atSec: f.atSec, input: f.input as TimelineEntry["input"] });
    });
    out[agentId] = entries.sort((a, b) => a.atSec - b.atSec);
  }
  return out;
}

/** `[3.5, noAnswer, busy, reject 2, "?"]`: answer after 3.5 s, ..., declined after 2 s, unknown. */
const offers = list(
  z.unknown().transform((item, ctx) => {
    const action = parseOffer(item);
    if (action !== undefined) return action;
    ctx.addIssue({
      code: "custom",
      message: `must be seconds to answer, noAnswer, busy, "reject SECONDS" or "?"; got ${JSON.stringify(item)}`,
    });
    return z.NEVER;
  }),
);

function readOffers(
  value: unknown,
  path: string,
  problems: Problem[],
  config: ConfigSnapshot,
): Record<string, Array<PhoneAction | null>> {
  const out: Record<string, Array<PhoneAction | null>> = {};
  for (const [agentId, list] of Object.entries(read(anyMapping, value, path, problems) ?? {})) {
    const p = join(path, agentId);
    // `number:+44...`, `sip:...`: a phone a Connect applet rings directly.
    if (!config.agents[agentId] && !agentId.includes(":"))
      problems.push({ path: p, reason: `unknown agent "${agentId}"` });
    out[agentId] = read(offers, list, p, problems) ?? [];
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

const probability = count({ min: 0 })
  .refine((v) => v <= 1, { error: (i) => `a probability must be at most 1, got ${i.input}` })
  .nullish();

function readIvr(
  value: unknown,
  path: string,
  problems: Problem[],
  config: ConfigSnapshot,
): Record<string, Record<string, number>> {
  const menus = new Map<string, Set<string>>();
  for (const flow of Object.values(config.flows))
    for (const [id, a] of Object.entries(flow.applets))
      if (a.kind === "ivrMenu")
        menus.set(id, new Set([...(menus.get(id) ?? []), ...Object.keys(a.branches)]));
  const out: Record<string, Record<string, number>> = {};
  for (const [menuId, spec] of Object.entries(read(anyMapping, value, path, problems) ?? {})) {
    const p = join(path, menuId);
    const digits = menus.get(menuId);
    if (!digits) {
      problems.push({ path: p, reason: `no IVR menu "${menuId}" in the contact centre's flows` });
      continue;
    }
    const sf = read(anyMapping, spec, p, problems);
    if (!sf) continue;
    const probs: Record<string, number> = {};
    let total = 0;
    for (const digit of Object.keys(sf)) {
      const prob = read(count({ min: 0 }).nullish(), sf[digit], join(p, digit), problems);
      if (typeof prob !== "number") continue;
      if (!digits.has(digit))
        problems.push({ path: join(p, digit), reason: `menu "${menuId}" has no branch for digit ${digit}` });
      probs[digit] = prob;
      total += prob;
    }
    if (total > 1 + 1e-9) problems.push({ path: p, reason: `probabilities add up to ${total}, more than 1` });
    out[menuId] = probs;
  }
  return out;
}

const DISTRIBUTIONS =
  "a number of seconds, { fixed }, { exponential }, { logNormal: { meanSec, sdSec } } or { uniform: { minSec, maxSec } }";

const seconds = count({ min: 0 });
/** A lone parameter may be given bare: `{ exponential: 60 }` (taken as it is). */
const bare = z.custom<number>((v) => typeof v === "number", {
  error: (i) => `must be a mapping, got ${describe(i.input)}`,
});
const meanAbove0 = { error: "the mean must be greater than 0" };

const DISTRIBUTION_KINDS: Readonly<Record<string, z.ZodType<Distribution>>> = {
  fixed: byShape(mapping({ sec: seconds }), bare).transform(
    (v): Distribution => ({ kind: "fixed", sec: typeof v === "number" ? v : v.sec }),
  ),
  // The mean is judged on each shape: an unknown field beside it does not hide a zero mean.
  exponential: byShape(
    mapping({ meanSec: seconds }).refine((v) => v.meanSec > 0, meanAbove0),
    bare.refine((meanSec) => meanSec > 0, meanAbove0),
  ).transform((v): Distribution => ({ kind: "exponential", meanSec: typeof v === "number" ? v : v.meanSec })),
  logNormal: mapping({ meanSec: seconds, sdSec: seconds })
    .refine((v) => v.meanSec > 0, meanAbove0)
    .transform((v): Distribution => ({ kind: "logNormal", ...v })),
  uniform: mapping({ minSec: seconds, maxSec: seconds })
    .refine((v) => v.maxSec >= v.minSec, { error: "maxSec must not be less than minSec" })
    .transform((v): Distribution => ({ kind: "uniform", ...v })),
};

/** `5`, `{ fixed: 5 }`, `{ exponential: 60 }` / `{ exponential: { meanSec: 60 } }`, `{ logNormal: {...} }`, `{ uniform: {...} }`. */
const distribution = byShape(
  anyMapping.transform((f, ctx): Distribution => {
    const [kind, ...others] = Object.keys(f);
    if (kind === undefined || others.length > 0) {
      ctx.addIssue({ code: "custom", message: `must be ${DISTRIBUTIONS}` });
      return z.NEVER;
    }
    const schema = Object.hasOwn(DISTRIBUTION_KINDS, kind) ? DISTRIBUTION_KINDS[kind] : undefined;
    if (!schema) {
      ctx.addIssue({ code: "custom", message: `unknown distribution "${kind}" (expected ${DISTRIBUTIONS})` });
      return z.NEVER;
    }
    const result = schema.safeParse(f[kind]);
    if (result.success) return result.data;
    for (const issue of result.error.issues)
      ctx.issues.push({ ...issue, path: [kind, ...issue.path] } as never);
    return z.NEVER;
  }),
  z
    .custom<number>((v) => typeof v === "number", { error: `must be ${DISTRIBUTIONS}` })
    .refine((v) => v >= 0, { error: (i) => `must be 0 or more, got ${i.input}` })
    .transform((sec): Distribution => ({ kind: "fixed", sec })),
);

const agentBehaviour = mapping({
  answerDelay: distribution.nullish(),
  noAnswer: probability,
  busy: probability,
  reject: probability,
});

function readAgent(value: unknown, path: string, problems: Problem[], base: AgentBehaviour): AgentBehaviour {
  const f = readItem(agentBehaviour, value, path, problems);
  if (!f) return base;
  const a: AgentBehaviour = {
    answerDelay: f.answerDelay ?? base.answerDelay,
    noAnswer: f.noAnswer ?? base.noAnswer,
    busy: f.busy ?? base.busy,
    reject: f.reject ?? base.reject,
  };
  if (a.noAnswer + a.busy + a.reject > 1 + 1e-9)
    problems.push({ path, reason: "noAnswer + busy + reject must be at most 1" });
  return a;
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
  /** What the agent who answers the caller does: a recorded transfer (the gateway's `ScriptedTransfer`). */
  readonly agentTransfer?: {
    readonly afterSec: number;
    readonly mode: "warm" | "blind";
    readonly target: string;
    readonly consultSec?: number;
  };
  /** Talk time once put through again after a transfer's hold. */
  readonly talkAfterTransferSec?: number;
}

/** What an agent's phone does with one offered call, in the shape of the gateway's `PhoneBehaviour`. */
export type PhoneAction =
  /** `talkSec`: hangs up that long after being bridged (a called-back customer); absent: the caller does. */
  | { readonly kind: "answer"; readonly afterSec: number; readonly talkSec?: number }
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
    const from = recorded.from ?? callerNumber(index);
    const walk = flow ? walkPrompts(flow, () => digits.shift()) : { steps: [] };
    const t = recorded.transfer;
    return {
      index,
      atSec,
      from,
      to: number,
      dtmf: [...walk.steps, ...callbackKeys(recorded, from, config, flow, walk.stoppedAt)],
      talkSec: recorded.talkSec ?? talkSec,
      voicemailSec: recorded.voicemailSec ?? voicemailSec,
      ...(patienceSec === undefined ? {} : { patienceSec }),
      ...(t === undefined
        ? {}
        : {
            agentTransfer: {
              afterSec: t.afterSec,
              mode: t.mode,
              target: t.to,
              ...(t.consultSec === undefined ? {} : { consultSec: t.consultSec }),
            },
            talkAfterTransferSec: t.talkSec ?? talkSec,
          }),
    };
  });
}

/**
 * A caller who took the callback offer: the keys they press once queued, when this configuration's queue
 * offers it (its key, then 1 to confirm their own number, or 2 and the number they entered). A queue
 * without callbacks offers nothing: they wait, as anyone would.
 */
function callbackKeys(
  recorded: RecordedCall,
  from: string,
  config: ConfigSnapshot,
  flow: Flow | undefined,
  reached: string | undefined,
): PromptedDigits[] {
  const applet = reached === undefined ? undefined : flow?.applets[reached];
  if (!recorded.callback || applet?.kind !== "connect" || applet.target.kind !== "group") return [];
  const key = config.groups[applet.target.groupId]?.queue.callback?.key;
  if (key === undefined) return [];
  const other = recorded.callback.number;
  const keys = other === undefined || other === from ? [key, "1"] : [key, "2", `${other.slice(1)}#`];
  return keys.map((digits) => ({ digits, whenPrompted: true }));
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
  // The phones of callers who asked to be called back: each call back answered as recorded, the customer
  // then talking the call's talk time (drawn where it was not recorded).
  const customers = new Map<string, PhoneAction[]>();
  (model.calls ?? []).forEach((call, i) => {
    const key = call.callback?.number ?? call.from;
    if (!call.callback || key === undefined || keys.has(key)) return;
    const talkSec =
      call.talkSec ?? round(sample(model.callers.talkTime, seededRandom(`${model.seed}:callback:${i}`)));
    const answers = call.callback.answers.map(
      (a): PhoneAction => (a === null ? { kind: "noAnswer" } : a.kind === "answer" ? { ...a, talkSec } : a),
    );
    customers.set(key, [...(customers.get(key) ?? []), ...answers]);
  });
  for (const [key, answers] of customers) {
    if (answers.length === 0) continue;
    plans.push({
      agentId: `callback:${key}`,
      key,
      next: () => (answers.length > 1 ? answers.shift()! : answers[0]!),
    });
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
  return walkPrompts(flow, choose).steps;
}

/** `promptPath`, and the applet the walk stopped at (absent: a menu where nothing was pressed). */
function walkPrompts(
  flow: Flow,
  choose: (menuId: string, branches: readonly string[]) => string | undefined,
): { steps: PromptedDigits[]; stoppedAt?: string } {
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
      if (chosen === undefined) return { steps }; // presses nothing: the menu's timeout path
      steps.push({ digits: chosen, whenPrompted: true });
      id = applet.branches[chosen];
    } else {
      return { steps, stoppedAt: id };
    }
  }
  return { steps };
}

/** Distinct, valid E.164 caller numbers (+1 555 01xx xxxx is reserved for fiction). */
export const callerNumber = (index: number): string =>
  `+1555${String(1_000_000 + (index % 9_000_000)).padStart(7, "0")}`;

const contactKey = (contact: Contact): string => (contact.kind === "phone" ? contact.number : contact.uri);
const round = (sec: number): number => Math.round(sec * 10) / 10;
/** Without the fields read as absent (an empty YAML value). */
const definedFields = (o: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
