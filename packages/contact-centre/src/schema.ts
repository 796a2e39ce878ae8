import {
  type Applet,
  type Audio,
  type CallerIdOption,
  type CallsPeriod,
  type ConfigCommand,
  type ConnectBranches,
  type ConnectTarget,
  type Contact,
  type DialPolicy,
  FALLBACK_OUTCOMES,
  type Flow,
  isE164,
  isSipUri,
  isTimeZone,
  type QueueSettings,
  type RecordOption,
  type Strategy,
  type Weekday,
} from "@switchyard/routing-domain";
import { type Checker, type Fields, join } from "./checker.js";

/** A config command and where in the file it came from (decider errors are reported at that path). */
export interface Located {
  readonly path: string;
  readonly command: ConfigCommand;
}

/** What the structural pass read: commands in dependency order, plus the ids declared (valid or not). */
export interface ReadDocument {
  readonly commands: Located[];
  readonly businessNumbers: readonly string[];
  readonly agentIds: ReadonlySet<string>;
  readonly groupIds: ReadonlySet<string>;
  /** Flows as read, with their index, for the domain's flow validation. */
  readonly flows: ReadonlyArray<{ readonly index: number; readonly flow: Flow; readonly path: string }>;
}

export const SECTIONS = ["account", "agents", "groups", "numbers", "flows"] as const;

const STRATEGY_NAMES: Readonly<Record<string, Strategy>> = {
  roundRobin: "roundRobin",
  "round-robin": "roundRobin",
  simultaneous: "simultaneous",
  "simultaneous-ring": "simultaneous",
  sequential: "sequential",
  longestIdle: "longestIdle",
  "longest-idle": "longestIdle",
  leastCalls: "leastCalls",
  "least-calls": "leastCalls",
};

const PERIODS: Readonly<Record<string, CallsPeriod>> = {
  hour: "hour",
  day: "day",
  week: "week",
  month: "month",
};

/** The fields of a group in the file. */
export const GROUP_FIELDS: readonly string[] = [
  "id",
  "name",
  "strategy",
  "members",
  "ringTimeoutSec",
  "maxRingAttempts",
  "queue",
  "maxMissedOffers",
  "missedOfferCooldownSec",
];

const APPLET_FIELDS: Readonly<Record<Applet["kind"], readonly string[]>> = {
  greeting: ["type", "audio", "next"],
  ivrMenu: ["type", "prompt", "branches", "timeoutSec", "retries", "timeoutBranch", "invalidBranch"],
  connect: [
    "type",
    "target",
    "ringTimeoutSec",
    "callerId",
    "holdMusic",
    "maxRingAttempts",
    "whisper",
    "record",
    "branches",
  ],
  voicemail: ["type", "greeting", "maxLengthSec", "next"],
  hangup: ["type"],
  timeCondition: ["type", "timeZone", "hours", "closedDates", "open", "closed"],
};

/** Reads the contact-centre sections of a parsed YAML document into config commands, collecting issues. */
export function readDocument(doc: Fields, c: Checker): ReadDocument {
  const commands: Located[] = [];
  const account = readAccount(doc.account, c, commands);
  const agentIds = readAgents(doc.agents, c, commands);
  const groupIds = readGroups(doc.groups, c, commands, agentIds);
  const flows = readFlows(doc.flows, c);
  for (const { flow, path } of flows) commands.push({ path, command: { type: "DefineFlow", flow } });
  readNumbers(doc.numbers, c, commands, new Set(flows.map((f) => f.flow.flowId)), account.businessNumbers);
  return { commands, businessNumbers: account.businessNumbers, agentIds, groupIds, flows };
}

function readAccount(
  value: unknown,
  c: Checker,
  commands: Located[],
): { businessNumbers: readonly string[] } {
  if (value === undefined || value === null) return { businessNumbers: [] };
  const path = "account";
  const f = c.mapping(value, path, [
    "businessNumbers",
    "callerIdPassThrough",
    "recordCalls",
    "timeZone",
    "callsPeriod",
    "maxMissedOffers",
    "missedOfferCooldownSec",
    "dialPolicy",
  ]);
  if (!f) return { businessNumbers: [] };
  const businessNumbers: string[] = [];
  if (f.businessNumbers !== undefined) {
    const list = c.list(f.businessNumbers, join(path, "businessNumbers"));
    list?.forEach((n, i) => {
      const p = join(join(path, "businessNumbers"), i);
      if (typeof n !== "string" || !isE164(n)) c.problem(p, notE164(n));
      else if (businessNumbers.includes(n)) c.problem(p, `business number ${n} is listed twice`);
      else businessNumbers.push(n);
    });
  }
  const callerIdPassThrough = c.boolean(f, "callerIdPassThrough", path);
  const recordCalls = c.boolean(f, "recordCalls", path);
  const timeZone = c.string(f, "timeZone", path);
  if (timeZone !== undefined && !isTimeZone(timeZone))
    c.problem(join(path, "timeZone"), `"${timeZone}" is not an IANA time zone (e.g. Europe/London)`);
  const callsPeriod = c.oneOf(f, "callsPeriod", path, PERIODS);
  const missed = readMissedOffers(f, path, c);
  const dialPolicy =
    f.dialPolicy === undefined ? undefined : readDialPolicy(f.dialPolicy, join(path, "dialPolicy"), c);
  commands.push({
    path,
    command: {
      type: "ConfigureAccount",
      ...(callerIdPassThrough === undefined ? {} : { callerIdPassThrough }),
      ...(recordCalls === undefined ? {} : { recordCalls }),
      ...(timeZone === undefined || !isTimeZone(timeZone) ? {} : { timeZone }),
      ...(callsPeriod === undefined ? {} : { callsPeriod }),
      ...missed,
      ...(dialPolicy === undefined ? {} : { dialPolicy }),
    },
  });
  return { businessNumbers };
}

/**
 * `dialPolicy: { allowedCountryCodes: [1, 44], deniedPrefixes: ["+1900"], maxConcurrentExternalLegs: 20,
 * maxExternalMinutesPerHour: 600 }`: the toll-fraud rules.
 */
function readDialPolicy(value: unknown, path: string, c: Checker): DialPolicy | undefined {
  const f = c.mapping(value, path, [
    "allowedCountryCodes",
    "deniedPrefixes",
    "maxConcurrentExternalLegs",
    "maxExternalMinutesPerHour",
  ]);
  if (!f) return undefined;
  const strings = (key: string, ok: RegExp, what: string): string[] | undefined => {
    if (f[key] === undefined) return undefined;
    const out: string[] = [];
    c.list(f[key], join(path, key))?.forEach((item, i) => {
      const text = typeof item === "number" ? String(item) : item;
      if (typeof text === "string" && ok.test(text)) out.push(text);
      else c.problem(join(join(path, key), i), `${JSON.stringify(item)} is not ${what}`);
    });
    return out;
  };
  const allowedCountryCodes = strings(
    "allowedCountryCodes",
    /^[1-9]\d{0,2}$/,
    "a country calling code (e.g. 44)",
  );
  const deniedPrefixes =
    strings("deniedPrefixes", /^\+[1-9]\d{0,14}$/, 'a number prefix (e.g. "+1900")') ?? [];
  const cap = (key: "maxConcurrentExternalLegs" | "maxExternalMinutesPerHour"): number | undefined => {
    const v = f[key];
    if (v === undefined) return undefined;
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 1_000_000) return v;
    c.problem(join(path, key), `${JSON.stringify(v)} is not a whole number from 0 to 1000000`);
    return undefined;
  };
  const maxConcurrentExternalLegs = cap("maxConcurrentExternalLegs");
  const maxExternalMinutesPerHour = cap("maxExternalMinutesPerHour");
  return {
    ...(allowedCountryCodes === undefined ? {} : { allowedCountryCodes }),
    deniedPrefixes,
    ...(maxConcurrentExternalLegs === undefined ? {} : { maxConcurrentExternalLegs }),
    ...(maxExternalMinutesPerHour === undefined ? {} : { maxExternalMinutesPerHour }),
  };
}

/** `maxMissedOffers` / `missedOfferCooldownSec` (account default or group), each a whole number ≥ 0. */
function readMissedOffers(f: Fields, path: string, c: Checker) {
  const maxMissedOffers = c.number(f, "maxMissedOffers", path, { integer: true, min: 0 });
  const missedOfferCooldownSec = c.number(f, "missedOfferCooldownSec", path, { integer: true, min: 0 });
  return {
    ...(maxMissedOffers === undefined ? {} : { maxMissedOffers }),
    ...(missedOfferCooldownSec === undefined ? {} : { missedOfferCooldownSec }),
  };
}

function readAgents(value: unknown, c: Checker, commands: Located[]): Set<string> {
  const ids = new Set<string>();
  if (value === undefined || value === null) return ids;
  const list = c.list(value, "agents");
  list?.forEach((item, i) => {
    const path = join("agents", i);
    const f = c.mapping(item, path, ["id", "name", "phone", "sip", "wrapUpSec"]);
    if (!f) return;
    const id = c.string(f, "id", path, true);
    if (id !== undefined) {
      if (ids.has(id)) c.problem(join(path, "id"), `agent "${id}" is defined twice`);
      ids.add(id);
    }
    const name = c.string(f, "name", path) ?? id ?? "";
    let contact: Contact | undefined;
    const phone = f.phone;
    const sip = f.sip;
    if (phone !== undefined && sip !== undefined) {
      c.problem(path, "give either phone or sip, not both");
    } else if (phone !== undefined) {
      if (typeof phone === "string" && isE164(phone)) contact = { kind: "phone", number: phone };
      else c.problem(join(path, "phone"), notE164(phone));
    } else if (sip !== undefined) {
      if (typeof sip === "string" && isSipUri(sip)) contact = { kind: "sip", uri: sip };
      else c.problem(join(path, "sip"), notSipUri(sip));
    } else {
      c.problem(path, "needs a phone (E.164 number) or a sip (SIP URI)");
    }
    const wrapUpSec = c.number(f, "wrapUpSec", path, { integer: true, min: 0 });
    if (id !== undefined && contact !== undefined) {
      commands.push({
        path,
        command: {
          type: "DefineAgent",
          agentId: id,
          name,
          contact,
          ...(wrapUpSec === undefined ? {} : { wrapUpSec }),
        },
      });
    }
  });
  return ids;
}

function readGroups(
  value: unknown,
  c: Checker,
  commands: Located[],
  agentIds: ReadonlySet<string>,
): Set<string> {
  const ids = new Set<string>();
  if (value === undefined || value === null) return ids;
  const list = c.list(value, "groups");
  list?.forEach((item, i) => {
    const path = join("groups", i);
    const f = c.mapping(item, path, GROUP_FIELDS);
    if (!f) return;
    const id = c.string(f, "id", path, true);
    if (id !== undefined) {
      if (ids.has(id)) c.problem(join(path, "id"), `group "${id}" is defined twice`);
      ids.add(id);
    }
    const strategy = c.oneOf(f, "strategy", path, STRATEGY_NAMES, true);
    const members: string[] = [];
    const membersPath = join(path, "members");
    const memberList = c.required(f, "members", path, (v, p) => c.list(v, p));
    memberList?.forEach((m, j) => {
      const p = join(membersPath, j);
      if (typeof m !== "string") c.problem(p, `must be an agent id, got ${JSON.stringify(m)}`);
      else if (!agentIds.has(m)) c.problem(p, `unknown agent "${m}" (not in agents)`);
      else if (members.includes(m)) c.problem(p, `agent "${m}" is listed twice`);
      else members.push(m);
    });
    const ringTimeoutSec = c.number(f, "ringTimeoutSec", path, { integer: true, positive: true });
    const maxRingAttempts = c.number(f, "maxRingAttempts", path, { integer: true, positive: true });
    const queue = f.queue === undefined ? {} : readQueue(f.queue, join(path, "queue"), c);
    const missed = readMissedOffers(f, path, c);
    if (id !== undefined && strategy !== undefined && queue !== undefined) {
      commands.push({
        path,
        command: {
          type: "DefineGroup",
          groupId: id,
          name: c.string(f, "name", path) ?? id,
          strategy,
          members,
          ...(ringTimeoutSec === undefined ? {} : { ringTimeoutSec }),
          ...(maxRingAttempts === undefined ? {} : { maxRingAttempts }),
          queue,
          ...missed,
        },
      });
    }
  });
  return ids;
}

function readQueue(value: unknown, path: string, c: Checker): Partial<QueueSettings> | undefined {
  const f = c.mapping(value, path, [
    "enabled",
    "holdMusic",
    "announcePosition",
    "announceEverySec",
    "maxWaitSec",
    "maxSize",
    "priority",
    "callback",
  ]);
  if (!f) return undefined;
  const q: { -readonly [K in keyof QueueSettings]?: QueueSettings[K] } = {};
  const enabled = c.boolean(f, "enabled", path);
  if (enabled !== undefined) q.enabled = enabled;
  if (f.holdMusic !== undefined) {
    const audio = readAudio(f.holdMusic, join(path, "holdMusic"), c);
    if (audio) q.holdMusic = audio;
  }
  const announcePosition = c.boolean(f, "announcePosition", path);
  if (announcePosition !== undefined) q.announcePosition = announcePosition;
  for (const key of ["announceEverySec", "maxWaitSec", "maxSize"] as const) {
    const n = c.number(f, key, path, { integer: true, positive: true });
    if (n !== undefined) q[key] = n;
  }
  if (f.callback !== undefined) {
    const cbPath = join(path, "callback");
    const cb = c.mapping(f.callback, cbPath, ["offerAfterSec", "key", "maxAttempts", "retryAfterSec"]);
    if (cb) {
      const key = cb.key === undefined ? "1" : String(cb.key);
      if (!/^[0-9*#]$/.test(key)) c.problem(join(cbPath, "key"), "must be one digit, * or #");
      const n = (k: string, fallback: number) =>
        c.number(cb, k, cbPath, { integer: true, positive: true }) ?? fallback;
      q.callback = {
        offerAfterSec: n("offerAfterSec", 60),
        key,
        maxAttempts: n("maxAttempts", 3),
        retryAfterSec: n("retryAfterSec", 300),
      };
    }
  }
  const priority = c.number(f, "priority", path, { integer: true });
  if (priority !== undefined) {
    if (priority < 0) c.problem(join(path, "priority"), "must be 0 or more");
    else q.priority = priority;
  }
  return q;
}

function readNumbers(
  value: unknown,
  c: Checker,
  commands: Located[],
  flowIds: ReadonlySet<string>,
  businessNumbers: readonly string[],
): void {
  if (value === undefined || value === null) return;
  // Either a list of { number, flow } or a mapping number → flow id.
  const entries: Array<{
    path: string;
    number: unknown;
    flow: unknown;
    numberPath: string;
    flowPath: string;
  }> = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const path = join("numbers", i);
      const f = c.mapping(item, path, ["number", "flow"]);
      if (!f) return;
      if (f.number === undefined) c.problem(join(path, "number"), "is required");
      if (f.flow === undefined) c.problem(join(path, "flow"), "is required");
      if (f.number === undefined || f.flow === undefined) return;
      entries.push({
        path,
        number: f.number,
        flow: f.flow,
        numberPath: join(path, "number"),
        flowPath: join(path, "flow"),
      });
    });
  } else {
    const f = c.mapping(value, "numbers");
    if (!f) return;
    for (const [number, flow] of Object.entries(f)) {
      const path = join("numbers", number);
      entries.push({ path, number, flow, numberPath: path, flowPath: path });
    }
  }
  const seen = new Set<string>();
  for (const e of entries) {
    let ok = true;
    if (typeof e.number !== "string" || !isE164(e.number)) {
      c.problem(e.numberPath, notE164(e.number));
      ok = false;
    } else if (seen.has(e.number)) {
      c.problem(e.numberPath, `number ${e.number} is routed twice`);
      ok = false;
    } else if (businessNumbers.length > 0 && !businessNumbers.includes(e.number)) {
      c.problem(e.numberPath, `${e.number} is not one of account.businessNumbers`);
      ok = false;
    }
    if (typeof e.number === "string") seen.add(e.number);
    if (typeof e.flow !== "string" || !flowIds.has(e.flow)) {
      c.problem(e.flowPath, `unknown flow ${JSON.stringify(e.flow)} (not in flows)`);
      ok = false;
    }
    if (ok)
      commands.push({
        path: e.path,
        command: { type: "DefineNumber", number: e.number as string, flowId: e.flow as string },
      });
  }
}

function readFlows(value: unknown, c: Checker): Array<{ index: number; flow: Flow; path: string }> {
  const flows: Array<{ index: number; flow: Flow; path: string }> = [];
  if (value === undefined || value === null) return flows;
  const ids = new Set<string>();
  const list = c.list(value, "flows");
  list?.forEach((item, index) => {
    const path = join("flows", index);
    const f = c.mapping(item, path, ["id", "name", "start", "recordCalls", "applets"]);
    if (!f) return;
    const id = c.string(f, "id", path, true);
    if (id !== undefined) {
      if (ids.has(id)) c.problem(join(path, "id"), `flow "${id}" is defined twice`);
      ids.add(id);
    }
    const start = c.string(f, "start", path, true);
    const recordCalls = c.boolean(f, "recordCalls", path);
    const recording = recordCalls === undefined ? {} : { recordCalls };
    const appletsPath = join(path, "applets");
    const raw = c.required(f, "applets", path, (v, p) => c.mapping(v, p));
    const applets: Record<string, Applet> = {};
    for (const [appletId, appletValue] of Object.entries(raw ?? {})) {
      applets[appletId] = readApplet(appletValue, join(appletsPath, appletId), c);
    }
    if (id !== undefined && start !== undefined && raw !== undefined) {
      flows.push({
        index,
        path,
        flow: { flowId: id, name: c.string(f, "name", path) ?? id, start, applets, ...recording },
      });
    }
  });
  return flows;
}

/**
 * Reads one applet. Semantic checks (targets exist, numbers are E.164, branches lead somewhere) are left to
 * the domain's `validateFlow`; here only shapes and types. A field of the wrong type is reported and
 * replaced by a harmless value so the domain's pass does not report it a second time.
 */
function readApplet(value: unknown, path: string, c: Checker): Applet {
  const placeholder: Applet = { kind: "hangup" };
  const f = c.mapping(value, path);
  if (!f) return placeholder;
  const type = f.type;
  if (typeof type !== "string" || !Object.hasOwn(APPLET_FIELDS, type)) {
    c.problem(
      join(path, "type"),
      type === undefined
        ? `is required (one of: ${Object.keys(APPLET_FIELDS).join(", ")})`
        : `unknown applet type ${JSON.stringify(type)} (expected one of: ${Object.keys(APPLET_FIELDS).join(", ")})`,
    );
    return placeholder;
  }
  const kind = type as Applet["kind"];
  c.mapping(f, path, APPLET_FIELDS[kind]);
  const branch = (key: string, required: boolean): string | undefined =>
    c.string(f, key, path, required as false);
  switch (kind) {
    case "greeting": {
      const audio = c.required(f, "audio", path, (v, p) => readAudio(v, p, c));
      const next = branch("next", false);
      return { kind, audio: audio ?? { kind: "defaultTone" }, ...(next === undefined ? {} : { next }) };
    }
    case "ivrMenu": {
      const prompt = c.required(f, "prompt", path, (v, p) => readAudio(v, p, c));
      const branches: Record<string, string> = {};
      const bPath = join(path, "branches");
      const raw = c.required(f, "branches", path, (v, p) => c.mapping(v, p));
      for (const [digit, to] of Object.entries(raw ?? {})) {
        if (typeof to === "string" && to !== "") branches[digit] = to;
        else c.problem(join(bPath, digit), `must be an applet id, got ${JSON.stringify(to)}`);
      }
      return {
        kind,
        prompt: prompt ?? { kind: "defaultTone" },
        branches,
        timeoutSec: c.number(f, "timeoutSec", path) ?? 5,
        retries: c.number(f, "retries", path) ?? 1,
        // Missing branches: reported here, and "" keeps the domain's check from reporting them again.
        timeoutBranch: branch("timeoutBranch", true) ?? "",
        invalidBranch: branch("invalidBranch", true) ?? "",
      };
    }
    case "connect": {
      const target = c.required(f, "target", path, (v, p) => readTarget(v, p, c));
      const branches: { -readonly [K in keyof ConnectBranches]?: string } = {};
      if (f.branches !== undefined) {
        const bPath = join(path, "branches");
        const raw = c.mapping(f.branches, bPath, [...FALLBACK_OUTCOMES, "fallback"]);
        for (const [outcome, to] of Object.entries(raw ?? {})) {
          if (typeof to === "string" && to !== "") branches[outcome as keyof ConnectBranches] = to;
          else c.problem(join(bPath, outcome), `must be an applet id, got ${JSON.stringify(to)}`);
        }
      }
      const ringTimeoutSec = c.number(f, "ringTimeoutSec", path);
      const maxRingAttempts = c.number(f, "maxRingAttempts", path);
      const callerId =
        f.callerId === undefined ? undefined : readCallerId(f.callerId, join(path, "callerId"), c);
      const holdMusic =
        f.holdMusic === undefined ? undefined : readAudio(f.holdMusic, join(path, "holdMusic"), c);
      const whisper = f.whisper === undefined ? undefined : readAudio(f.whisper, join(path, "whisper"), c);
      const record = f.record === undefined ? undefined : readRecord(f.record, join(path, "record"), c);
      return {
        kind,
        // An unreadable target was reported; this stand-in passes the domain's target checks silently.
        target: target ?? { kind: "sip", uri: "sip:unreadable.invalid" },
        branches,
        ...(ringTimeoutSec === undefined ? {} : { ringTimeoutSec }),
        ...(maxRingAttempts === undefined ? {} : { maxRingAttempts }),
        ...(callerId === undefined ? {} : { callerId }),
        ...(holdMusic === undefined ? {} : { holdMusic }),
        ...(whisper === undefined ? {} : { whisper }),
        ...(record === undefined ? {} : { record }),
      };
    }
    case "voicemail": {
      const greeting =
        f.greeting === undefined ? undefined : readAudio(f.greeting, join(path, "greeting"), c);
      const next = branch("next", false);
      return {
        kind,
        maxLengthSec: c.number(f, "maxLengthSec", path) ?? 120,
        ...(greeting === undefined ? {} : { greeting }),
        ...(next === undefined ? {} : { next }),
      };
    }
    case "hangup":
      return { kind };
    case "timeCondition": {
      const timeZone = c.string(f, "timeZone", path);
      const hours = (c.required(f, "hours", path, (v, p) => c.list(v, p)) ?? []).flatMap((rule, i) => {
        const rPath = join(path, `hours[${i}]`);
        const r = c.mapping(rule, rPath, ["days", "from", "to"]);
        if (!r) return [];
        const days = (c.required(r, "days", rPath, (v, p) => c.list(v, p)) ?? []).map(String) as Weekday[];
        const from = c.string(r, "from", rPath, true);
        const to = c.string(r, "to", rPath, true);
        return from === undefined || to === undefined ? [] : [{ days, from, to }];
      });
      const closedDates =
        f.closedDates === undefined
          ? undefined
          : (c.list(f.closedDates, join(path, "closedDates")) ?? []).map(String);
      return {
        kind,
        ...(timeZone === undefined ? {} : { timeZone }),
        hours,
        ...(closedDates === undefined ? {} : { closedDates }),
        open: branch("open", true) ?? "",
        closed: branch("closed", true) ?? "",
      };
    }
    default: {
      const unknown: never = kind;
      throw new Error(`unknown applet kind ${String(unknown)}`);
    }
  }
}

const TARGET_KINDS = ["agent", "group", "number", "external", "sip"] as const;

function readTarget(value: unknown, path: string, c: Checker): ConnectTarget | undefined {
  const f = c.mapping(value, path, TARGET_KINDS);
  if (!f) return undefined;
  const given = TARGET_KINDS.filter((k) => f[k] !== undefined);
  if (given.length !== 1) {
    if (given.length === 0) c.problem(path, `needs one of: ${TARGET_KINDS.join(", ")}`);
    else c.problem(path, `give only one of: ${given.join(", ")}`);
    return undefined;
  }
  const kind = given[0]!;
  const v = c.string(f, kind, path);
  if (v === undefined) return undefined;
  switch (kind) {
    case "agent":
      return { kind, agentId: v };
    case "group":
      return { kind, groupId: v };
    case "number":
    case "external":
      return { kind, number: v };
    case "sip":
      return { kind, uri: v };
    default: {
      const unknown: never = kind;
      throw new Error(`unknown target kind ${String(unknown)}`);
    }
  }
}

function readCallerId(value: unknown, path: string, c: Checker): CallerIdOption | undefined {
  if (value === "business") return { kind: "business" };
  if (value === "caller") return { kind: "caller" };
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const f = c.mapping(value, path, ["custom"]);
    const number = f ? c.string(f, "custom", path, true) : undefined;
    return number === undefined ? undefined : { kind: "custom", number };
  }
  c.problem(path, `must be business, caller or { custom: "+E164" }, got ${JSON.stringify(value)}`);
  return undefined;
}

function readRecord(value: unknown, path: string, c: Checker): RecordOption | undefined {
  if (value === true) return "on";
  if (value === false) return "off";
  if (value === "inherit" || value === "on" || value === "off") return value;
  c.problem(path, `must be inherit, on or off, got ${JSON.stringify(value)}`);
  return undefined;
}

/** An uploaded audio file's id, as the admin API's `audio/{audio}` names take it. */
const AUDIO_FILE_ID = /^[A-Za-z0-9_-]{1,63}$/;

/**
 * `default`, `ringback`, `{ url }`, `{ tts }`, `{ file: <id> }` (an audio file uploaded through the admin
 * API), or any other string as text to speak.
 */
export function readAudio(value: unknown, path: string, c: Checker): Audio | undefined {
  if (typeof value === "string" && value !== "") {
    if (value === "default" || value === "defaultTone") return { kind: "defaultTone" };
    if (value === "ringback") return { kind: "ringback" };
    return { kind: "tts", text: value };
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const f = c.mapping(value, path, ["url", "tts", "file"]);
    if (!f) return undefined;
    const given = ["url", "tts", "file"].filter((k) => f[k] !== undefined);
    if (given.length === 1 && f.url !== undefined) {
      const url = c.string(f, "url", path);
      return url === undefined ? undefined : { kind: "url", url };
    }
    if (given.length === 1 && f.tts !== undefined) {
      const text = c.string(f, "tts", path);
      return text === undefined ? undefined : { kind: "tts", text };
    }
    if (given.length === 1 && f.file !== undefined) {
      const audioId = c.string(f, "file", path);
      if (audioId === undefined) return undefined;
      if (AUDIO_FILE_ID.test(audioId)) return { kind: "stored", audioId };
      c.problem(
        join(path, "file"),
        `must be an audio file id (letters, digits, _ and -), got ${JSON.stringify(audioId)}`,
      );
      return undefined;
    }
  }
  c.problem(
    path,
    `must be default, ringback, text to speak, { url }, { tts } or { file }, got ${JSON.stringify(value)}`,
  );
  return undefined;
}

const notE164 = (value: unknown): string =>
  `${JSON.stringify(value)} is not an E.164 number (+ and country code, up to 15 digits, e.g. "+442071234567")`;
const notSipUri = (value: unknown): string =>
  `${JSON.stringify(value)} is not a SIP URI (e.g. "sip:alice@pbx.example.com")`;
