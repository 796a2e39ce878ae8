// FlowSpec (proto) ↔ Flow (domain), and flow problems with the applet and the request field they are about.
// Structural problems (a missing oneof, a bad name, an unknown enum) are found here; the flow's own rules
// (reachability, branches, cycles, targets that exist) are the domain's validateFlow, whose issues are
// given the field path of the value they are about.
import {
  type Applet as AppletPb,
  Connect_CallerId,
  Connect_Record,
  FlowProblem,
  FlowSpec,
  OpeningRule_Weekday,
} from "@switchyard/admin-proto";
import {
  type Applet,
  appletEdges,
  type CallerIdOption,
  type ConnectBranches,
  type ConnectTarget,
  type Flow,
  type FlowIssue,
  type FlowValidationContext,
  isE164,
  type RecordOption,
  validateFlow,
  type Weekday,
} from "@switchyard/routing-domain";
import { fromAudioPb, toAudioPb } from "./audio.js";
import type { FieldViolation } from "./errors.js";
import { ID, nameOf, parseName, textViolation } from "./names.js";

const WEEKDAY_TO_PB: Readonly<Record<Weekday, OpeningRule_Weekday>> = {
  mon: OpeningRule_Weekday.WEEKDAY_MONDAY,
  tue: OpeningRule_Weekday.WEEKDAY_TUESDAY,
  wed: OpeningRule_Weekday.WEEKDAY_WEDNESDAY,
  thu: OpeningRule_Weekday.WEEKDAY_THURSDAY,
  fri: OpeningRule_Weekday.WEEKDAY_FRIDAY,
  sat: OpeningRule_Weekday.WEEKDAY_SATURDAY,
  sun: OpeningRule_Weekday.WEEKDAY_SUNDAY,
};
const WEEKDAY_FROM_PB = new Map(Object.entries(WEEKDAY_TO_PB).map(([day, pb]) => [pb, day as Weekday]));

const MAX_APPLETS = 500;
const MAX_TEXT = 200;

const BRANCH_FIELDS: Record<string, string> = {
  noAnswer: "no_answer_branch",
  busy: "busy_branch",
  failed: "failed_branch",
  allAgentsBusy: "all_agents_busy_branch",
  fallback: "fallback_branch",
};

export const appletPath = (prefix: string, id: string) => `${prefix}.applets[${JSON.stringify(id)}]`;

/** The domain flow for a spec, or undefined with every structural violation. */
export function fromFlowSpec(
  flowId: string,
  spec: FlowSpec,
  prefix: string,
  violations: FieldViolation[],
): Flow | undefined {
  const start = violations.length;
  const v = (field: string, description: string, reason: string) =>
    violations.push({ field, description, reason });
  const badName = textViolation(spec.displayName, `${prefix}.display_name`, {
    max: MAX_TEXT,
    required: false,
  });
  if (badName) violations.push(badName);
  if (spec.startApplet === "") v(`${prefix}.start_applet`, "required", "REQUIRED");
  const entries = Object.entries(spec.applets);
  if (entries.length === 0) v(`${prefix}.applets`, "at least one applet is required", "REQUIRED");
  if (entries.length > MAX_APPLETS) v(`${prefix}.applets`, `at most ${MAX_APPLETS} applets`, "TOO_MANY");
  const applets: Record<string, Applet> = {};
  for (const [id, pb] of entries.slice(0, MAX_APPLETS)) {
    const path = appletPath(prefix, id);
    if (!ID.test(id)) {
      v(path, "applet ids are 1-63 characters of A-Z a-z 0-9 _ -", "INVALID_ID");
      continue;
    }
    const applet = fromAppletPb(pb, path, violations);
    if (applet) applets[id] = applet;
  }
  if (violations.length > start) return undefined;
  return {
    flowId,
    name: spec.displayName || flowId,
    start: spec.startApplet,
    applets,
    ...(spec.recordCalls === undefined ? {} : { recordCalls: spec.recordCalls }),
  };
}

const branch = (s: string) => (s === "" ? undefined : s);

function fromAppletPb(pb: AppletPb, path: string, violations: FieldViolation[]): Applet | undefined {
  const v = (field: string, description: string, reason: string) =>
    violations.push({ field: `${path}.${field}`, description, reason });
  if (pb.greeting) {
    if (!pb.greeting.audio) {
      v("greeting.audio", "required", "REQUIRED");
      return undefined;
    }
    const audio = fromAudioPb(pb.greeting.audio, `${path}.greeting.audio`, violations);
    const next = branch(pb.greeting.next);
    return audio && { kind: "greeting", audio, ...(next === undefined ? {} : { next }) };
  }
  if (pb.ivrMenu) {
    const m = pb.ivrMenu;
    if (!m.prompt) {
      v("ivr_menu.prompt", "required", "REQUIRED");
      return undefined;
    }
    const prompt = fromAudioPb(m.prompt, `${path}.ivr_menu.prompt`, violations);
    return (
      prompt && {
        kind: "ivrMenu",
        prompt,
        branches: { ...m.branches },
        timeoutSec: m.timeoutSeconds,
        retries: m.retries,
        timeoutBranch: m.timeoutBranch,
        invalidBranch: m.invalidBranch,
      }
    );
  }
  if (pb.connect) {
    const c = pb.connect;
    const ok = violations.length;
    let target: ConnectTarget | undefined;
    const named = (collection: "agents" | "groups", value: string, field: string) => {
      const parsed = parseName(collection, value, `${path}.connect.${field}`);
      if ("violation" in parsed) {
        violations.push(parsed.violation);
        return undefined;
      }
      return parsed.id;
    };
    if (c.number !== undefined) target = { kind: "number", number: c.number };
    else if (c.externalNumber !== undefined) target = { kind: "external", number: c.externalNumber };
    else if (c.sipUri !== undefined) target = { kind: "sip", uri: c.sipUri };
    else if (c.agent !== undefined) {
      const agentId = named("agents", c.agent, "agent");
      if (agentId !== undefined) target = { kind: "agent", agentId };
    } else if (c.group !== undefined) {
      const groupId = named("groups", c.group, "group");
      if (groupId !== undefined) target = { kind: "group", groupId };
    } else
      v("connect.target", "one of number, agent, group, external_number, sip_uri is required", "REQUIRED");
    let callerId: CallerIdOption | undefined;
    switch (c.callerId) {
      case Connect_CallerId.CALLER_ID_UNSPECIFIED:
        break;
      case Connect_CallerId.CALLER_ID_BUSINESS:
        callerId = { kind: "business" };
        break;
      case Connect_CallerId.CALLER_ID_CALLER:
        callerId = { kind: "caller" };
        break;
      case Connect_CallerId.CALLER_ID_CUSTOM:
        callerId = { kind: "custom", number: c.customCallerId };
        break;
      default:
        v("connect.caller_id", `unknown value ${c.callerId}`, "INVALID_ENUM");
    }
    let record: RecordOption | undefined;
    switch (c.record) {
      case Connect_Record.RECORD_UNSPECIFIED:
        break;
      case Connect_Record.RECORD_INHERIT:
        record = "inherit";
        break;
      case Connect_Record.RECORD_ON:
        record = "on";
        break;
      case Connect_Record.RECORD_OFF:
        record = "off";
        break;
      default:
        v("connect.record", `unknown value ${c.record}`, "INVALID_ENUM");
    }
    const holdMusic = c.holdMusic
      ? fromAudioPb(c.holdMusic, `${path}.connect.hold_music`, violations)
      : undefined;
    const whisper = c.whisper ? fromAudioPb(c.whisper, `${path}.connect.whisper`, violations) : undefined;
    if (violations.length > ok || target === undefined) return undefined;
    const branches: ConnectBranches = Object.fromEntries(
      (
        [
          ["noAnswer", c.noAnswerBranch],
          ["busy", c.busyBranch],
          ["failed", c.failedBranch],
          ["allAgentsBusy", c.allAgentsBusyBranch],
          ["queueTimeout", c.queueTimeoutBranch],
          ["queueFull", c.queueFullBranch],
          ["fallback", c.fallbackBranch],
        ] as const
      ).filter(([, to]) => to !== ""),
    );
    return {
      kind: "connect",
      target,
      branches,
      ...(c.ringTimeoutSeconds === undefined ? {} : { ringTimeoutSec: c.ringTimeoutSeconds }),
      ...(callerId === undefined ? {} : { callerId }),
      ...(holdMusic === undefined ? {} : { holdMusic }),
      ...(c.maxRingAttempts === undefined ? {} : { maxRingAttempts: c.maxRingAttempts }),
      ...(whisper === undefined ? {} : { whisper }),
      ...(record === undefined ? {} : { record }),
    };
  }
  if (pb.voicemail) {
    const m = pb.voicemail;
    const greeting = m.greeting
      ? fromAudioPb(m.greeting, `${path}.voicemail.greeting`, violations)
      : undefined;
    if (m.greeting && !greeting) return undefined;
    const next = branch(m.next);
    return {
      kind: "voicemail",
      maxLengthSec: m.maxLengthSeconds,
      ...(greeting === undefined ? {} : { greeting }),
      ...(next === undefined ? {} : { next }),
    };
  }
  if (pb.hangup) return { kind: "hangup" };
  if (pb.timeCondition) {
    const t = pb.timeCondition;
    const hours = t.hours.map((rule, i) => {
      const days = rule.days.flatMap((d, j) => {
        const day = WEEKDAY_FROM_PB.get(d);
        if (day === undefined)
          v(`time_condition.hours[${i}].days[${j}]`, `unknown value ${d}`, "INVALID_ENUM");
        return day === undefined ? [] : [day];
      });
      return { days, from: rule.opens, to: rule.closes };
    });
    return {
      kind: "timeCondition",
      ...(t.timeZone === "" ? {} : { timeZone: t.timeZone }),
      hours,
      ...(t.closedDates.length === 0 ? {} : { closedDates: [...t.closedDates] }),
      open: t.openBranch,
      closed: t.closedBranch,
    };
  }
  violations.push({
    field: path,
    description: "one of greeting, ivr_menu, connect, voicemail, hangup, time_condition is required",
    reason: "REQUIRED",
  });
  return undefined;
}

export function toFlowSpec(flow: Flow): FlowSpec {
  const applets: Record<string, AppletPb> = {};
  for (const [id, a] of Object.entries(flow.applets)) applets[id] = toAppletPb(a);
  return FlowSpec.fromPartial({
    displayName: flow.name,
    startApplet: flow.start,
    applets,
    ...(flow.recordCalls === undefined ? {} : { recordCalls: flow.recordCalls }),
  });
}

function toAppletPb(a: Applet): AppletPb {
  switch (a.kind) {
    case "greeting":
      return { greeting: { audio: toAudioPb(a.audio), next: a.next ?? "" } };
    case "ivrMenu":
      return {
        ivrMenu: {
          prompt: toAudioPb(a.prompt),
          branches: { ...a.branches },
          timeoutSeconds: a.timeoutSec,
          retries: a.retries,
          timeoutBranch: a.timeoutBranch,
          invalidBranch: a.invalidBranch,
        },
      };
    case "connect": {
      const t = a.target;
      const target =
        t.kind === "number"
          ? { number: t.number }
          : t.kind === "external"
            ? { externalNumber: t.number }
            : t.kind === "sip"
              ? { sipUri: t.uri }
              : t.kind === "agent"
                ? { agent: nameOf("agents", t.agentId) }
                : { group: nameOf("groups", t.groupId) };
      const callerId =
        a.callerId === undefined
          ? Connect_CallerId.CALLER_ID_UNSPECIFIED
          : a.callerId.kind === "business"
            ? Connect_CallerId.CALLER_ID_BUSINESS
            : a.callerId.kind === "caller"
              ? Connect_CallerId.CALLER_ID_CALLER
              : Connect_CallerId.CALLER_ID_CUSTOM;
      const record =
        a.record === undefined
          ? Connect_Record.RECORD_UNSPECIFIED
          : a.record === "inherit"
            ? Connect_Record.RECORD_INHERIT
            : a.record === "on"
              ? Connect_Record.RECORD_ON
              : Connect_Record.RECORD_OFF;
      return {
        connect: {
          ...target,
          ...(a.ringTimeoutSec === undefined ? {} : { ringTimeoutSeconds: a.ringTimeoutSec }),
          callerId,
          customCallerId: a.callerId?.kind === "custom" ? a.callerId.number : "",
          holdMusic: a.holdMusic === undefined ? undefined : toAudioPb(a.holdMusic),
          ...(a.maxRingAttempts === undefined ? {} : { maxRingAttempts: a.maxRingAttempts }),
          whisper: a.whisper === undefined ? undefined : toAudioPb(a.whisper),
          record,
          noAnswerBranch: a.branches.noAnswer ?? "",
          busyBranch: a.branches.busy ?? "",
          failedBranch: a.branches.failed ?? "",
          allAgentsBusyBranch: a.branches.allAgentsBusy ?? "",
          queueTimeoutBranch: a.branches.queueTimeout ?? "",
          queueFullBranch: a.branches.queueFull ?? "",
          fallbackBranch: a.branches.fallback ?? "",
        },
      };
    }
    case "voicemail":
      return {
        voicemail: {
          greeting: a.greeting === undefined ? undefined : toAudioPb(a.greeting),
          maxLengthSeconds: a.maxLengthSec,
          next: a.next ?? "",
        },
      };
    case "hangup":
      return { hangup: {} };
    case "timeCondition":
      return {
        timeCondition: {
          timeZone: a.timeZone ?? "",
          hours: a.hours.map((rule) => ({
            days: rule.days.map((d) => WEEKDAY_TO_PB[d]),
            opens: rule.from,
            closes: rule.to,
          })),
          closedDates: [...(a.closedDates ?? [])],
          openBranch: a.open,
          closedBranch: a.closed,
        },
      };
    default: {
      const unknown: never = a;
      throw new Error(`unknown applet ${JSON.stringify(unknown)}`);
    }
  }
}

const snake = (code: string) => code.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

/** The field (under the applet's path) a domain edge label is stored in. */
function edgeField(applet: Applet, label: string): string {
  switch (applet.kind) {
    case "greeting":
      return "greeting.next";
    case "voicemail":
      return "voicemail.next";
    case "ivrMenu":
      if (label === "timeout") return "ivr_menu.timeout_branch";
      if (label === "invalid") return "ivr_menu.invalid_branch";
      return `ivr_menu.branches[${JSON.stringify(label.replace(/^digit /, ""))}]`;
    case "connect":
      return `connect.${BRANCH_FIELDS[label] ?? "branches"}`;
    case "hangup":
      return "";
    case "timeCondition":
      return `time_condition.${label}_branch`;
    default: {
      const unknown: never = applet;
      throw new Error(`unknown applet ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * The fields each kind of issue can be about, per applet, in the order validateFlow reports them (it
 * reports an applet's issues of one kind in this order), so issue n of a kind gets field n.
 */
function candidates(flow: Flow, id: string, code: FlowIssue["code"]): string[] {
  const a = flow.applets[id];
  if (!a) return [];
  const has = (to: string) => Object.hasOwn(flow.applets, to);
  switch (code) {
    case "unknownApplet":
      return appletEdges(a)
        .filter((e) => !has(e.to))
        .map((e) => edgeField(a, e.label));
    case "missingBranch":
      if (a.kind === "timeCondition")
        return [
          ...(a.open ? [] : ["time_condition.open_branch"]),
          ...(a.closed ? [] : ["time_condition.closed_branch"]),
        ];
      if (a.kind === "ivrMenu")
        return [
          ...(Object.keys(a.branches).length === 0 ? ["ivr_menu.branches"] : []),
          ...(a.timeoutBranch ? [] : ["ivr_menu.timeout_branch"]),
          ...(a.invalidBranch ? [] : ["ivr_menu.invalid_branch"]),
        ];
      return [
        "connect.fallback_branch",
        "connect.fallback_branch",
        "connect.fallback_branch",
        "connect.fallback_branch",
      ];
    case "unknownAgent":
      return ["connect.agent"];
    case "unknownGroup":
      return ["connect.group"];
    case "invalidSipUri":
      return ["connect.sip_uri"];
    case "invalidNumber": {
      if (a.kind !== "connect") return [];
      const t = a.target;
      const targetBad = (t.kind === "number" || t.kind === "external") && !isE164(t.number);
      return [
        ...(targetBad ? [t.kind === "number" ? "connect.number" : "connect.external_number"] : []),
        "connect.custom_caller_id",
      ];
    }
    default:
      return [];
  }
}

/** The request field of a time condition's domain field ("hours[0].from" → "hours[0].opens"). */
function timeConditionField(field: string): string {
  return field
    .replace(/\.from$/, ".opens")
    .replace(/\.to$/, ".closes")
    .replace(/^(open|closed)$/, "$1_branch")
    .replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The request field of each domain audio field (appletAudio's names). */
const AUDIO_FIELDS: Record<string, string> = {
  audio: "greeting.audio",
  prompt: "ivr_menu.prompt",
  holdMusic: "connect.hold_music",
  whisper: "connect.whisper",
  greeting: "voicemail.greeting",
};

/** Every problem with a flow: structural violations, then the domain's issues with their fields. */
export function flowProblems(
  flowId: string,
  spec: FlowSpec,
  prefix: string,
  config: FlowValidationContext,
): { flow?: Flow; problems: FlowProblem[] } {
  const violations: FieldViolation[] = [];
  const flow = fromFlowSpec(flowId, spec, prefix, violations);
  const appletOf = (field: string) => /\.applets\["((?:[^"\\]|\\.)*)"\]/.exec(field)?.[1] ?? "";
  if (!flow)
    return {
      problems: violations.map((v) =>
        FlowProblem.fromPartial({
          applet: appletOf(v.field),
          field: v.field,
          reason: v.reason,
          description: v.description,
        }),
      ),
    };
  const used = new Map<string, number>();
  const problems = validateFlow(flow, config).map((issue) => {
    if (issue.code === "missingStart")
      return FlowProblem.fromPartial({
        applet: issue.appletId,
        field: `${prefix}.start_applet`,
        reason: snake(issue.code),
        description: issue.message,
      });
    if (issue.code === "unknownAudio") {
      const field = AUDIO_FIELDS[issue.field ?? ""];
      const base = appletPath(prefix, issue.appletId);
      return FlowProblem.fromPartial({
        applet: issue.appletId,
        field: field ? `${base}.${field}.audio_file` : base,
        reason: snake(issue.code),
        description: issue.message,
      });
    }
    const key = `${issue.appletId}\u0000${issue.code}`;
    const n = used.get(key) ?? 0;
    used.set(key, n + 1);
    const applet = flow.applets[issue.appletId];
    const sub =
      applet?.kind === "timeCondition" && issue.field !== undefined
        ? `time_condition.${timeConditionField(issue.field)}`
        : candidates(flow, issue.appletId, issue.code)[n];
    const base = appletPath(prefix, issue.appletId);
    return FlowProblem.fromPartial({
      applet: issue.appletId,
      field: sub ? `${base}.${sub}` : base,
      reason: snake(issue.code),
      description: issue.message,
    });
  });
  return { flow, problems };
}

export interface FlowChangeRow {
  readonly path: string;
  readonly kind: "added" | "removed" | "changed";
  readonly before?: unknown;
  readonly after?: unknown;
}

const MAP_FIELDS = new Set(["applets", "branches"]);
const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Field-by-field differences between two specs (proto JSON shape, snake_case paths), in path order. */
export function diffSpecs(before: FlowSpec, after: FlowSpec): FlowChangeRow[] {
  const rows: FlowChangeRow[] = [];
  const walk = (a: unknown, b: unknown, path: string, inMap: boolean) => {
    const isObj = (x: unknown): x is Record<string, unknown> =>
      typeof x === "object" && x !== null && !Array.isArray(x);
    if (isObj(a) && isObj(b)) {
      const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
      for (const k of keys) {
        const sub = inMap ? `${path}[${JSON.stringify(k)}]` : `${path}${path ? "." : ""}${toSnake(k)}`;
        walk(a[k], b[k], sub, !inMap && MAP_FIELDS.has(k));
      }
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (a === undefined) rows.push({ path, kind: "added", after: b });
    else if (b === undefined) rows.push({ path, kind: "removed", before: a });
    else rows.push({ path, kind: "changed", before: a, after: b });
  };
  walk(FlowSpec.toJSON(before), FlowSpec.toJSON(after), "", false);
  return rows;
}
