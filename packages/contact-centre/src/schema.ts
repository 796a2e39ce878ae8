// The contact-centre file's schema, in zod: one schema per item (account, agent, group, flow, applet), each
// reporting every problem in the file's own words. What is not shape — ids defined twice, members that are
// not agents, numbers routed twice or to unknown flows — is checked after, in code, on what was read.
import {
  type Applet,
  type Audio,
  type CallsPeriod,
  type ConfigCommand,
  type ConnectTarget,
  type Contact,
  FALLBACK_OUTCOMES,
  type Flow,
  isE164,
  isSipUri,
  isTimeZone,
  type QueueSettings,
  STRATEGY_SPELLINGS,
  type Strategy,
  type Weekday,
} from "@switchyard/routing-domain";
import { z } from "zod";
import {
  byShape,
  count,
  describe,
  entries,
  flag,
  join,
  list,
  mapping,
  oneOf,
  type Problem,
  read,
  readItem,
  someOf,
  text,
} from "./fields.js";

/** A config command and where in the file it came from (decider errors are reported at that path). */
export interface Located {
  readonly path: string;
  readonly command: ConfigCommand;
}

/** What the structural pass read: commands in dependency order, plus the ids declared (valid or not). */
export interface ReadDocument {
  readonly commands: Located[];
  readonly problems: Problem[];
  readonly businessNumbers: readonly string[];
  readonly agentIds: ReadonlySet<string>;
  readonly groupIds: ReadonlySet<string>;
  /** Flows as read, with their index, for the domain's flow validation. */
  readonly flows: ReadonlyArray<{ readonly index: number; readonly flow: Flow; readonly path: string }>;
}

export const SECTIONS = ["account", "agents", "groups", "numbers", "flows"] as const;

// Every spelling of every strategy in the domain's registry (`longestIdle`, `longest-idle`, `longest_idle`, and
// aliases such as `simultaneous-ring`): a new strategy is accepted here without a change.
const STRATEGY_NAMES: Readonly<Record<string, Strategy>> = Object.fromEntries(STRATEGY_SPELLINGS);

const PERIODS: Readonly<Record<string, CallsPeriod>> = {
  hour: "hour",
  day: "day",
  week: "week",
  month: "month",
};

const notE164 = (value: unknown): string =>
  `${JSON.stringify(value)} is not an E.164 number (+ and country code, up to 15 digits, e.g. "+442071234567")`;
const notSipUri = (value: unknown): string =>
  `${JSON.stringify(value)} is not a SIP URI (e.g. "sip:alice@pbx.example.com")`;

const e164 = z.custom<string>((v) => typeof v === "string" && isE164(v), { error: (i) => notE164(i.input) });
const sipUri = z.custom<string>((v) => typeof v === "string" && isSipUri(v), {
  error: (i) => notSipUri(i.input),
});

/** Present (a YAML empty value counts as absent), then `schema`. */
const required = <T extends z.ZodType<unknown, unknown>>(schema: T) =>
  z
    .unknown()
    .refine((v) => v !== undefined && v !== null, { error: "is required", abort: true })
    // The refinement passes anything but absent, so the schema sees whatever its own input is.
    .pipe(schema as unknown as z.ZodType<z.output<T>, NonNullable<unknown>>);

/** The fields that are set (zod reads an absent optional as undefined, an empty YAML value as null). */
const defined = <T extends object>(fields: T) =>
  Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)) as {
    [K in keyof T]?: Exclude<T[K], null | undefined>;
  };

// Audio -------------------------------------------------------------------------------------------------

/** An uploaded audio file's id, as the admin API's `audio/{audio}` names take it. */
const AUDIO_FILE_ID = /^[A-Za-z0-9_-]{1,63}$/;
const notAudio = (i: { input?: unknown }) =>
  `must be default, ringback, text to speak, { url }, { tts } or { file }, got ${JSON.stringify(i.input)}`;

/**
 * `default`, `ringback`, `{ url }`, `{ tts }`, `{ file: <id> }` (an audio file uploaded through the admin
 * API), or any other string as text to speak.
 */
export const audio = byShape(
  // Unknown fields are reported each on its own line; the source rule then sees the fields it knows.
  mapping({
    url: text().optional(),
    tts: text().optional(),
    file: text()
      .regex(AUDIO_FILE_ID, {
        error: (i) => `must be an audio file id (letters, digits, _ and -), got ${JSON.stringify(i.input)}`,
      })
      .optional(),
  })
    .refine((f) => [f.url, f.tts, f.file].filter((v) => v !== undefined).length === 1, { error: notAudio })
    .transform(
      (f): Audio =>
        f.url !== undefined
          ? { kind: "url", url: f.url }
          : f.tts !== undefined
            ? { kind: "tts", text: f.tts }
            : { kind: "stored", audioId: f.file as string },
    ),
  z
    .string({ error: notAudio })
    .refine((v) => v !== "", { error: notAudio, abort: true })
    .transform(
      (v): Audio =>
        v === "default" || v === "defaultTone"
          ? { kind: "defaultTone" }
          : v === "ringback"
            ? { kind: "ringback" }
            : { kind: "tts", text: v },
    ),
);

// Account -----------------------------------------------------------------------------------------------

/** A list of codes (numbers read as their digits), each matching `ok`. */
const codes = (ok: RegExp, what: string) =>
  list(
    z.unknown().transform((item, ctx) => {
      const code = typeof item === "number" ? String(item) : item;
      if (typeof code === "string" && ok.test(code)) return code;
      ctx.issues.push({ code: "custom", message: `${JSON.stringify(item)} is not ${what}`, input: item });
      return z.NEVER;
    }),
  );
const cap = z.custom<number>(
  (v) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 1_000_000,
  {
    error: (i) => `${JSON.stringify(i.input)} is not a whole number from 0 to 1000000`,
  },
);

/**
 * `dialPolicy: { allowedCountryCodes: [1, 44], deniedPrefixes: ["+1900"], maxConcurrentExternalLegs: 20,
 * maxExternalMinutesPerHour: 600 }`: the toll-fraud rules.
 */
const dialPolicy = mapping({
  allowedCountryCodes: codes(/^[1-9]\d{0,2}$/, "a country calling code (e.g. 44)").optional(),
  deniedPrefixes: codes(/^\+[1-9]\d{0,14}$/, 'a number prefix (e.g. "+1900")').optional(),
  maxConcurrentExternalLegs: cap.optional(),
  maxExternalMinutesPerHour: cap.optional(),
}).transform(({ deniedPrefixes, ...rest }) => ({ ...defined(rest), deniedPrefixes: deniedPrefixes ?? [] }));

/** `maxMissedOffers` / `missedOfferCooldownSec` (account default or group), each a whole number ≥ 0. */
const missedOffers = {
  maxMissedOffers: count({ integer: true, min: 0 }).nullish(),
  missedOfferCooldownSec: count({ integer: true, min: 0 }).nullish(),
};

const account = mapping({
  businessNumbers: list(z.unknown()).optional(),
  callerIdPassThrough: flag(),
  recordCalls: flag(),
  timeZone: text()
    .refine(isTimeZone, { error: (i) => `"${i.input}" is not an IANA time zone (e.g. Europe/London)` })
    .nullish(),
  callsPeriod: oneOf(PERIODS).nullish(),
  ...missedOffers,
  dialPolicy: dialPolicy.optional(),
});

// Agents and groups -------------------------------------------------------------------------------------

const agent = mapping({
  id: text(),
  name: text().nullish(),
  phone: e164.optional(),
  sip: sipUri.optional(),
  wrapUpSec: count({ integer: true, min: 0 }).nullish(),
});

const queueCount = () => count({ integer: true, positive: true }).nullish();
const queue = mapping({
  enabled: flag(),
  holdMusic: audio.optional(),
  announcePosition: flag(),
  announceEverySec: queueCount(),
  maxWaitSec: queueCount(),
  maxSize: queueCount(),
  priority: count({ integer: true })
    .refine((v) => v >= 0, { error: "must be 0 or more" })
    .nullish(),
  callback: mapping({
    offerAfterSec: queueCount(),
    key: z
      .unknown()
      .transform(String)
      .pipe(z.string().regex(/^[0-9*#]$/, { error: "must be one digit, * or #" }))
      .optional(),
    maxAttempts: queueCount(),
    retryAfterSec: queueCount(),
  })
    .transform((cb) => ({
      offerAfterSec: cb.offerAfterSec ?? 60,
      key: cb.key ?? "1",
      maxAttempts: cb.maxAttempts ?? 3,
      retryAfterSec: cb.retryAfterSec ?? 300,
    }))
    .optional(),
}).transform((q): Partial<QueueSettings> => defined(q));

const group = mapping({
  id: text(),
  name: text().nullish(),
  strategy: oneOf(STRATEGY_NAMES),
  members: required(list(z.unknown())),
  ringTimeoutSec: count({ integer: true, positive: true }).nullish(),
  maxRingAttempts: count({ integer: true, positive: true }).nullish(),
  queue: queue.optional(),
  ...missedOffers,
});

/** The fields of a group in the file. */
export const GROUP_FIELDS: readonly string[] = Object.keys(group.shape);

// Applets -----------------------------------------------------------------------------------------------

const appletId = z
  .string({ error: (i) => `must be an applet id, got ${JSON.stringify(i.input)}` })
  .refine((v) => v !== "", {
    error: (i) => `must be an applet id, got ${JSON.stringify(i.input)}`,
    abort: true,
  });

const TARGET_KINDS = ["agent", "group", "number", "external", "sip"] as const;
const target = mapping(Object.fromEntries(TARGET_KINDS.map((k) => [k, text().optional()])))
  .superRefine((f, ctx) => {
    const given = TARGET_KINDS.filter((k) => f[k] !== undefined);
    if (given.length === 0)
      ctx.addIssue({ code: "custom", message: `needs one of: ${TARGET_KINDS.join(", ")}` });
    if (given.length > 1) ctx.addIssue({ code: "custom", message: `give only one of: ${given.join(", ")}` });
  })
  .transform((f): ConnectTarget => {
    const kind = TARGET_KINDS.find((k) => f[k] !== undefined) as (typeof TARGET_KINDS)[number];
    const v = f[kind] as string;
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
  });

const callerId = byShape(
  mapping({ custom: text() }).transform((f) => ({ kind: "custom" as const, number: f.custom })),
  z
    .enum(["business", "caller"], {
      error: (i) => `must be business, caller or { custom: "+E164" }, got ${JSON.stringify(i.input)}`,
    })
    .transform((kind) => ({ kind })),
);

const record = z.union(
  [
    z.boolean().transform((on) => (on ? ("on" as const) : ("off" as const))),
    z.enum(["inherit", "on", "off"]),
  ],
  { error: (i) => `must be inherit, on or off, got ${JSON.stringify(i.input)}` },
);

/** Each applet's fields in the file; the YAML keys of an applet are the domain's field names. */
const APPLETS = {
  greeting: mapping({ type: z.literal("greeting"), audio: required(audio), next: text().nullish() }),
  ivrMenu: mapping({
    type: z.literal("ivrMenu"),
    prompt: required(audio),
    branches: entries(appletId),
    timeoutSec: count().nullish(),
    retries: count().nullish(),
    timeoutBranch: text(),
    invalidBranch: text(),
  }),
  connect: mapping({
    type: z.literal("connect"),
    target: required(target),
    ringTimeoutSec: count().nullish(),
    callerId: callerId.optional(),
    holdMusic: audio.optional(),
    maxRingAttempts: count().nullish(),
    whisper: audio.optional(),
    record: record.optional(),
    branches: someOf(
      [...FALLBACK_OUTCOMES, "fallback"] as unknown as [string, ...string[]],
      appletId,
    ).optional(),
  }),
  voicemail: mapping({
    type: z.literal("voicemail"),
    greeting: audio.optional(),
    maxLengthSec: count().nullish(),
    next: text().nullish(),
  }),
  hangup: mapping({ type: z.literal("hangup") }),
  timeCondition: mapping({
    type: z.literal("timeCondition"),
    timeZone: text().nullish(),
    // Each rule is read on its own (openingRule); days, times and dates are the domain's to judge.
    hours: required(list(z.unknown())),
    closedDates: list(z.unknown().transform(String)).optional(),
    open: text(),
    closed: text(),
  }),
} as const satisfies Record<Applet["kind"], z.ZodObject>;

/** An opening rule of a time condition: the domain's validateFlow judges its days and times. */
const openingRule = mapping({
  days: required(list(z.unknown().transform((d) => String(d) as Weekday))),
  from: text(),
  to: text(),
});

const KINDS = Object.keys(APPLETS) as Array<Applet["kind"]>;
const appletType = z.looseObject(
  {
    type: z.enum(KINDS, {
      error: (i) =>
        i.input === undefined
          ? `is required (one of: ${KINDS.join(", ")})`
          : `unknown applet type ${JSON.stringify(i.input)} (expected one of: ${KINDS.join(", ")})`,
    }),
  },
  { error: (i) => `must be a mapping, got ${describe(i.input)}` },
);

/**
 * Reads one applet. Semantic checks (targets exist, numbers are E.164, branches lead somewhere) are left to
 * the domain's `validateFlow`; here only shapes and types. A field of the wrong type is reported and
 * replaced by a harmless value so the domain's pass does not report it a second time.
 */
export function readApplet(value: unknown, path: string, problems: Problem[]): Applet {
  const kind = read(appletType, value, path, problems)?.type;
  switch (kind) {
    case undefined:
      return { kind: "hangup" };
    case "greeting": {
      const f = readItem(APPLETS.greeting, value, path, problems) ?? {};
      return { kind, audio: f.audio ?? { kind: "defaultTone" }, ...defined({ next: f.next }) };
    }
    case "ivrMenu": {
      const f = readItem(APPLETS.ivrMenu, value, path, problems) ?? {};
      return {
        kind,
        prompt: f.prompt ?? { kind: "defaultTone" },
        branches: f.branches ?? {},
        timeoutSec: f.timeoutSec ?? 5,
        retries: f.retries ?? 1,
        // Missing branches: reported here, and "" keeps the domain's check from reporting them again.
        timeoutBranch: f.timeoutBranch ?? "",
        invalidBranch: f.invalidBranch ?? "",
      };
    }
    case "connect": {
      const {
        type: _,
        target,
        branches,
        ...settings
      } = readItem(APPLETS.connect, value, path, problems) ?? {};
      return {
        kind,
        // An unreadable target was reported; this stand-in passes the domain's target checks silently.
        target: target ?? { kind: "sip", uri: "sip:unreadable.invalid" },
        branches: branches ?? {},
        ...defined(settings),
      };
    }
    case "voicemail": {
      const f = readItem(APPLETS.voicemail, value, path, problems) ?? {};
      return {
        kind,
        maxLengthSec: f.maxLengthSec ?? 120,
        ...defined({ greeting: f.greeting, next: f.next }),
      };
    }
    case "hangup":
      readItem(APPLETS.hangup, value, path, problems);
      return { kind };
    case "timeCondition": {
      const f = readItem(APPLETS.timeCondition, value, path, problems) ?? {};
      // A rule with a bad day list is kept without days (the domain says so); one without times is left out.
      const hours = (f.hours ?? []).flatMap((rule, i) => {
        const r = readItem(openingRule, rule, join(join(path, "hours"), i), problems);
        return r?.from === undefined || r.to === undefined
          ? []
          : [{ days: r.days ?? [], from: r.from, to: r.to }];
      });
      return {
        kind,
        hours,
        ...defined({ timeZone: f.timeZone, closedDates: f.closedDates }),
        open: f.open ?? "",
        closed: f.closed ?? "",
      };
    }
    default: {
      const unknown: never = kind;
      throw new Error(`unknown applet kind ${String(unknown)}`);
    }
  }
}

const flow = mapping({
  id: text(),
  name: text().nullish(),
  start: text(),
  recordCalls: flag(),
  applets: entries(z.unknown()),
});

const numberEntry = mapping({
  number: z.unknown().refine((v) => v !== undefined, { error: "is required" }),
  flow: z.unknown().refine((v) => v !== undefined, { error: "is required" }),
});

// The document ------------------------------------------------------------------------------------------

/** A section's list; absent (or empty in YAML) is none. */
const section = (value: unknown, path: string, problems: Problem[]): readonly unknown[] =>
  value === undefined || value === null ? [] : (read(list(z.unknown()), value, path, problems) ?? []);

/** Reads the contact-centre sections of a parsed YAML document into config commands, collecting problems. */
export function readDocument(doc: Readonly<Record<string, unknown>>): ReadDocument {
  const problems: Problem[] = [];
  const commands: Located[] = [];
  const businessNumbers = readAccount(doc.account, problems, commands);
  const agentIds = readAgents(doc.agents, problems, commands);
  const groupIds = readGroups(doc.groups, problems, commands, agentIds);
  const flows = readFlows(doc.flows, problems);
  for (const { flow, path } of flows) commands.push({ path, command: { type: "DefineFlow", flow } });
  readNumbers(doc.numbers, problems, commands, new Set(flows.map((f) => f.flow.flowId)), businessNumbers);
  return { commands, problems, businessNumbers, agentIds, groupIds, flows };
}

function readAccount(value: unknown, problems: Problem[], commands: Located[]): readonly string[] {
  if (value === undefined || value === null) return [];
  const path = "account";
  const f = readItem(account, value, path, problems);
  if (!f) return [];
  const businessNumbers: string[] = [];
  f.businessNumbers?.forEach((n, i) => {
    const p = join(join(path, "businessNumbers"), i);
    if (typeof n !== "string" || !isE164(n)) problems.push({ path: p, reason: notE164(n) });
    else if (businessNumbers.includes(n))
      problems.push({ path: p, reason: `business number ${n} is listed twice` });
    else businessNumbers.push(n);
  });
  const { businessNumbers: _, ...settings } = f;
  commands.push({ path, command: { type: "ConfigureAccount", ...defined(settings) } });
  return businessNumbers;
}

function readAgents(value: unknown, problems: Problem[], commands: Located[]): Set<string> {
  const ids = new Set<string>();
  section(value, "agents", problems).forEach((item, i) => {
    const path = join("agents", i);
    const f = readItem(agent, item, path, problems);
    if (!f) return;
    const id = f.id;
    if (id !== undefined) {
      if (ids.has(id)) problems.push({ path: join(path, "id"), reason: `agent "${id}" is defined twice` });
      ids.add(id);
    }
    const raw = item as Readonly<Record<string, unknown>>;
    let contact: Contact | undefined;
    if (raw.phone !== undefined && raw.sip !== undefined)
      problems.push({ path, reason: "give either phone or sip, not both" });
    else if (f.phone !== undefined) contact = { kind: "phone", number: f.phone };
    else if (f.sip !== undefined) contact = { kind: "sip", uri: f.sip };
    else if (raw.phone === undefined && raw.sip === undefined)
      problems.push({ path, reason: "needs a phone (E.164 number) or a sip (SIP URI)" });
    if (id !== undefined && contact !== undefined) {
      commands.push({
        path,
        command: {
          type: "DefineAgent",
          agentId: id,
          name: f.name ?? id,
          contact,
          ...defined({ wrapUpSec: f.wrapUpSec }),
        },
      });
    }
  });
  return ids;
}

function readGroups(
  value: unknown,
  problems: Problem[],
  commands: Located[],
  agentIds: ReadonlySet<string>,
): Set<string> {
  const ids = new Set<string>();
  section(value, "groups", problems).forEach((item, i) => {
    const path = join("groups", i);
    const f = readItem(group, item, path, problems);
    if (!f) return;
    const id = f.id;
    if (id !== undefined) {
      if (ids.has(id)) problems.push({ path: join(path, "id"), reason: `group "${id}" is defined twice` });
      ids.add(id);
    }
    const members: string[] = [];
    f.members?.forEach((m, j) => {
      const p = join(join(path, "members"), j);
      if (typeof m !== "string")
        problems.push({ path: p, reason: `must be an agent id, got ${JSON.stringify(m)}` });
      else if (!agentIds.has(m)) problems.push({ path: p, reason: `unknown agent "${m}" (not in agents)` });
      else if (members.includes(m)) problems.push({ path: p, reason: `agent "${m}" is listed twice` });
      else members.push(m);
    });
    const queueRead = (item as Readonly<Record<string, unknown>>).queue === undefined ? {} : f.queue;
    const { strategy } = f;
    if (id !== undefined && strategy !== undefined && queueRead !== undefined) {
      commands.push({
        path,
        command: {
          type: "DefineGroup",
          groupId: id,
          name: f.name ?? id,
          strategy,
          members,
          ...defined({
            ringTimeoutSec: f.ringTimeoutSec,
            maxRingAttempts: f.maxRingAttempts,
            maxMissedOffers: f.maxMissedOffers,
            missedOfferCooldownSec: f.missedOfferCooldownSec,
          }),
          queue: queueRead,
        },
      });
    }
  });
  return ids;
}

function readNumbers(
  value: unknown,
  problems: Problem[],
  commands: Located[],
  flowIds: ReadonlySet<string>,
  businessNumbers: readonly string[],
): void {
  if (value === undefined || value === null) return;
  // Either a list of { number, flow } or a mapping number → flow id.
  const routes: Array<{
    path: string;
    number: unknown;
    flow: unknown;
    numberPath: string;
    flowPath: string;
  }> = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const path = join("numbers", i);
      const f = readItem(numberEntry, item, path, problems);
      if (f?.number !== undefined && f.flow !== undefined)
        routes.push({
          path,
          number: f.number,
          flow: f.flow,
          numberPath: join(path, "number"),
          flowPath: join(path, "flow"),
        });
    });
  } else {
    const f = read(entries(z.unknown()), value, "numbers", problems);
    for (const [number, flow] of Object.entries(f ?? {})) {
      const path = join("numbers", number);
      routes.push({ path, number, flow, numberPath: path, flowPath: path });
    }
  }
  const seen = new Set<string>();
  for (const e of routes) {
    const before = problems.length;
    if (typeof e.number !== "string" || !isE164(e.number))
      problems.push({ path: e.numberPath, reason: notE164(e.number) });
    else if (seen.has(e.number))
      problems.push({ path: e.numberPath, reason: `number ${e.number} is routed twice` });
    else if (businessNumbers.length > 0 && !businessNumbers.includes(e.number))
      problems.push({ path: e.numberPath, reason: `${e.number} is not one of account.businessNumbers` });
    if (typeof e.number === "string") seen.add(e.number);
    if (typeof e.flow !== "string" || !flowIds.has(e.flow))
      problems.push({ path: e.flowPath, reason: `unknown flow ${JSON.stringify(e.flow)} (not in flows)` });
    if (problems.length === before)
      commands.push({
        path: e.path,
        command: { type: "DefineNumber", number: e.number as string, flowId: e.flow as string },
      });
  }
}

export function readFlows(
  value: unknown,
  problems: Problem[],
): Array<{ index: number; flow: Flow; path: string }> {
  const flows: Array<{ index: number; flow: Flow; path: string }> = [];
  const ids = new Set<string>();
  section(value, "flows", problems).forEach((item, index) => {
    const path = join("flows", index);
    const f = readItem(flow, item, path, problems);
    if (!f) return;
    const { id, start } = f;
    if (id !== undefined) {
      if (ids.has(id)) problems.push({ path: join(path, "id"), reason: `flow "${id}" is defined twice` });
      ids.add(id);
    }
    const applets: Record<string, Applet> = {};
    for (const [appletId, appletValue] of Object.entries(f.applets ?? {}))
      applets[appletId] = readApplet(appletValue, join(join(path, "applets"), appletId), problems);
    if (id !== undefined && start !== undefined && f.applets !== undefined)
      flows.push({
        index,
        path,
        flow: { flowId: id, name: f.name ?? id, start, applets, ...defined({ recordCalls: f.recordCalls }) },
      });
  });
  return flows;
}
