import { readFileSync } from "node:fs";
import {
  type AgentConfig,
  appletEdges,
  type ConfigCommand,
  type ConfigEvent,
  type ConfigSnapshot,
  configWarnings,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
  type Flow,
  type FlowIssue,
  type GroupConfig,
  validateFlow,
} from "@switchyard/routing-domain";
import { isScalar, parseDocument, visit } from "yaml";
import { ContactCentreConfigError, type ContactCentreIssue } from "./errors.js";
import { join } from "./fields.js";
import { type Located, readDocument } from "./schema.js";

/** A validated contact centre: the config commands it declares and the snapshot they build. */
export interface ContactCentre {
  readonly file: string;
  /** In dependency order: account, agents, groups, flows, numbers. */
  readonly commands: readonly ConfigCommand[];
  /** The events `commands` produce on an empty `config` stream. */
  readonly events: readonly ConfigEvent[];
  readonly snapshot: ConfigSnapshot;
  /** account.businessNumbers, else the numbers routed to flows. */
  readonly businessNumbers: readonly string[];
  /** What loads but is probably not meant (e.g. the caller's number as caller ID without pass-through). */
  readonly warnings: readonly ContactCentreIssue[];
}

/** Reads and validates a contact-centre YAML file; throws ContactCentreConfigError listing every problem. */
export function loadContactCentre(
  file: string,
  readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
): ContactCentre {
  let text: string;
  try {
    text = readFile(file);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ContactCentreConfigError(file, [{ file, path: "", reason: `cannot read: ${reason}` }], {
      cause,
    });
  }
  return parseContactCentre(text, file);
}

/** Parses YAML text (`file` only names it in errors). */
export function parseContactCentre(text: string, file: string): ContactCentre {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ContactCentreConfigError(
      file,
      doc.errors.map((e) => ({
        file,
        path: "",
        reason: `YAML syntax${e.linePos ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : ""}: ${(e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "")}`,
      })),
    );
  }
  // `+447700900001` unquoted is a number to YAML; a phone number is what the user meant.
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === "number" && /^\+\d+$/.test(node.source ?? ""))
        node.value = node.source;
    },
  });
  const value: unknown = doc.toJS();
  if (value === null || value === undefined)
    throw new ContactCentreConfigError(file, [{ file, path: "", reason: "the file is empty" }]);
  if (typeof value !== "object" || Array.isArray(value))
    throw new ContactCentreConfigError(file, [{ file, path: "", reason: "the document must be a mapping" }]);
  return contactCentreFromDocument(value as Readonly<Record<string, unknown>>, file);
}

/**
 * Validates an already parsed document (e.g. the `--config` file the runtime configuration came from, whose
 * other sections belong to other packages). Every problem is collected before anything is returned.
 */
export function contactCentreFromDocument(
  doc: Readonly<Record<string, unknown>>,
  file: string,
): ContactCentre {
  const read = readDocument(doc);
  const { problems } = read;
  const rejected = () =>
    new ContactCentreConfigError(
      file,
      problems.map((p) => ({ file, ...p })),
    );

  // The domain's flow validation, against the ids the file declares (valid or not, so one bad agent is
  // reported once, at its definition, not again at every flow that rings it).
  const declared: Pick<ConfigSnapshot, "agents" | "groups"> = {
    agents: Object.fromEntries([...read.agentIds].map((id) => [id, {} as AgentConfig])),
    groups: Object.fromEntries([...read.groupIds].map((id) => [id, {} as GroupConfig])),
  };
  const structural = new Set(problems.map((p) => p.path));
  for (const { flow, path } of read.flows) {
    for (const issue of validateFlow(flow, declared)) {
      const at = issuePath(flow, path, issue);
      if (!structural.has(at)) problems.push({ path: at, reason: issue.message });
    }
  }
  if (problems.length > 0) throw rejected();

  // Everything the file says goes through the domain's config decider: whatever it refuses is reported
  // at the item it came from.
  let snapshot = EMPTY_CONFIG;
  const events: ConfigEvent[] = [];
  for (const located of read.commands) {
    try {
      for (const event of decideConfig(located.command, snapshot)) {
        events.push(event);
        snapshot = evolveConfig(snapshot, event);
      }
    } catch (error) {
      problems.push({ path: located.path, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  if (problems.length > 0) throw rejected();
  const routed = read.commands.flatMap(({ command }) =>
    command.type === "DefineNumber" ? [command.number] : [],
  );
  return {
    file,
    commands: read.commands.map((l: Located) => l.command),
    events,
    snapshot,
    businessNumbers: read.businessNumbers.length > 0 ? read.businessNumbers : routed,
    warnings: configWarnings(snapshot).map((w) => {
      const at = read.flows.find((f) => f.flow.flowId === w.flowId)?.path ?? "flows";
      return {
        file,
        path: join(join(join(at, "applets"), w.appletId), w.field),
        reason: `warning: ${w.message}`,
      };
    }),
  };
}

/**
 * The config events that bring `current` (the `config` stream as it is) to what the file declares, decided
 * by the domain's config decider so they can be appended with the stream's version as expected version.
 * Items already defined identically produce no events.
 */
export function configEventsFor(cc: ContactCentre, current: ConfigSnapshot): ConfigEvent[] {
  let state = current;
  const events: ConfigEvent[] = [];
  for (const command of cc.commands) {
    if (alreadyDefined(command, state, cc.snapshot)) continue;
    for (const event of decideConfig(command, state)) {
      events.push(event);
      state = evolveConfig(state, event);
    }
  }
  return events;
}

function alreadyDefined(command: ConfigCommand, state: ConfigSnapshot, wanted: ConfigSnapshot): boolean {
  // Key order is not meaningful (PostgreSQL's jsonb reorders keys), so compare canonical forms.
  const same = (a: unknown, b: unknown) => a !== undefined && canonical(a) === canonical(b);
  switch (command.type) {
    case "ConfigureAccount":
      return same(state.account, wanted.account);
    case "DefineAgent":
      return same(state.agents[command.agentId], wanted.agents[command.agentId]);
    case "DefineGroup":
      return same(state.groups[command.groupId], wanted.groups[command.groupId]);
    case "DefineFlow":
      return same(state.flows[command.flow.flowId], wanted.flows[command.flow.flowId]);
    case "DefineNumber":
      return same(state.numbers[command.number], wanted.numbers[command.number]);
    default:
      return false;
  }
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** A domain field path ("hours[0].days") under `base`. */
function joinField(base: string, field: string): string {
  return field.split(/\.|(?=\[)/).reduce((path, part) => {
    const index = /^\[(\d+)\]$/.exec(part)?.[1];
    return index === undefined ? join(path, part) : join(path, Number(index));
  }, base);
}

/** Where in the file a domain flow issue points: the branch, target or setting, else the applet. */
function issuePath(flow: Flow, flowPath: string, issue: FlowIssue): string {
  const appletPath = join(join(flowPath, "applets"), issue.appletId);
  const applet = flow.applets[issue.appletId];
  const m = issue.message;
  // An issue that names its field: the YAML keys of an applet are the domain's field names.
  if (issue.field !== undefined) return joinField(appletPath, issue.field);
  switch (issue.code) {
    case "missingStart":
      return join(flowPath, "start");
    case "unknownApplet": {
      const label = /^branch "(.+?)" goes to/.exec(m)?.[1];
      if (label === undefined || applet === undefined) return appletPath;
      if (label === "next") return join(appletPath, "next");
      if (label === "timeout") return join(appletPath, "timeoutBranch");
      if (label === "invalid") return join(appletPath, "invalidBranch");
      const digit = /^digit (.+)$/.exec(label)?.[1];
      const key = digit ?? label;
      return appletEdges(applet).some((e) => e.label === label)
        ? join(join(appletPath, "branches"), key)
        : appletPath;
    }
    case "missingBranch":
      if (m.includes("timeout")) return join(appletPath, "timeoutBranch");
      if (m.includes("invalid-input")) return join(appletPath, "invalidBranch");
      return join(appletPath, "branches");
    case "unknownAgent":
    case "unknownGroup":
    case "invalidSipUri":
      return join(appletPath, "target");
    case "invalidNumber":
      return join(appletPath, m.startsWith("custom caller ID") ? "callerId" : "target");
    case "invalidSetting": {
      const digit = /^"(.+)" is not a DTMF digit/.exec(m)?.[1];
      if (digit !== undefined) return join(join(appletPath, "branches"), digit);
      if (m.startsWith("voicemail max length")) return join(appletPath, "maxLengthSec");
      if (m.startsWith("IVR timeout")) return join(appletPath, "timeoutSec");
      if (m.startsWith("IVR retries")) return join(appletPath, "retries");
      if (m.startsWith("ring timeout")) return join(appletPath, "ringTimeoutSec");
      if (m.startsWith("max ring attempts")) return join(appletPath, "maxRingAttempts");
      return appletPath;
    }
    case "unknownAudio":
      return appletPath;
    case "unreachable":
    case "cycleWithoutWait":
      return appletPath;
    default: {
      const unknown: never = issue.code;
      throw new Error(`unknown flow issue ${String(unknown)}`);
    }
  }
}
