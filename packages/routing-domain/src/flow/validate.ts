import type { ConfigSnapshot } from "../config/snapshot.js";
import type { Audio } from "../shared/audio.js";
import { RoutingDomainError } from "../shared/errors.js";
import { isE164, isSipUri } from "../shared/validation.js";
import {
  type Applet,
  appletEdges,
  FALLBACK_OUTCOMES,
  type Flow,
  QUEUE_OUTCOME_FALLS_BACK_TO,
  WAITING_APPLETS,
} from "./model.js";

export type FlowIssueCode =
  | "missingStart"
  | "unknownApplet"
  | "unreachable"
  | "missingBranch"
  | "cycleWithoutWait"
  | "unknownAgent"
  | "unknownGroup"
  | "invalidNumber"
  | "invalidSipUri"
  | "invalidSetting"
  | "unknownAudio";

export interface FlowIssue {
  readonly code: FlowIssueCode;
  /** The applet the issue is about. */
  readonly appletId: string;
  /** The applet's field the issue is about, where one field is (e.g. `holdMusic` for an unknown audio file). */
  readonly field?: string;
  readonly message: string;
}

/**
 * What a flow is checked against: the configured agents and groups and, when the caller knows them, the
 * uploaded audio files (absent: references to stored audio are not checked).
 */
export type FlowValidationContext = Pick<ConfigSnapshot, "agents" | "groups"> & {
  readonly audioFiles?: ReadonlySet<string>;
};

/** The applet's audio fields, with the audio each holds. */
export function appletAudio(applet: Applet): Array<{ readonly field: string; readonly audio: Audio }> {
  switch (applet.kind) {
    case "greeting":
      return [{ field: "audio", audio: applet.audio }];
    case "ivrMenu":
      return [{ field: "prompt", audio: applet.prompt }];
    case "connect":
      return [
        ...(applet.holdMusic ? [{ field: "holdMusic", audio: applet.holdMusic }] : []),
        ...(applet.whisper ? [{ field: "whisper", audio: applet.whisper }] : []),
      ];
    case "voicemail":
      return applet.greeting ? [{ field: "greeting", audio: applet.greeting }] : [];
    case "hangup":
      return [];
    default: {
      const unknown: never = applet;
      throw new Error(`unknown applet ${JSON.stringify(unknown)}`);
    }
  }
}

export class FlowValidationError extends RoutingDomainError {
  override readonly name = "FlowValidationError";
  constructor(
    readonly flowId: string,
    readonly issues: readonly FlowIssue[],
  ) {
    super(`flow ${flowId} is invalid: ${issues.map((i) => `[${i.appletId}] ${i.message}`).join("; ")}`);
  }
}

const DTMF = /^[0-9*#]$/;

/** Every problem with a flow (not just the first), each naming its applet. Empty when the flow is valid. */
export function validateFlow(flow: Flow, config: FlowValidationContext): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const applets = flow.applets;
  const has = (id: string): boolean => Object.hasOwn(applets, id);

  if (!has(flow.start)) {
    issues.push({
      code: "missingStart",
      appletId: flow.start,
      message: `start applet "${flow.start}" does not exist`,
    });
  }

  for (const [id, applet] of Object.entries(applets)) {
    for (const edge of appletEdges(applet)) {
      if (!has(edge.to)) {
        issues.push({
          code: "unknownApplet",
          appletId: id,
          message: `branch "${edge.label}" goes to unknown applet "${edge.to}"`,
        });
      }
    }
    issues.push(...appletIssues(id, applet, config));
  }

  // Reachability from the start.
  const reachable = new Set<string>();
  const stack = has(flow.start) ? [flow.start] : [];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    const applet = applets[id];
    if (applet) for (const e of appletEdges(applet)) if (has(e.to)) stack.push(e.to);
  }
  for (const id of Object.keys(applets)) {
    if (!reachable.has(id)) {
      issues.push({
        code: "unreachable",
        appletId: id,
        message: `applet "${id}" cannot be reached from the start`,
      });
    }
  }

  issues.push(...cyclesWithoutWait(flow));
  return issues;
}

function appletIssues(id: string, applet: Applet, config: FlowValidationContext): FlowIssue[] {
  const issues: FlowIssue[] = [];
  const known = config.audioFiles;
  if (known)
    for (const { field, audio } of appletAudio(applet))
      if (audio.kind === "stored" && !known.has(audio.audioId))
        issues.push({
          code: "unknownAudio",
          appletId: id,
          field,
          message: `${field}: audio file "${audio.audioId}" has not been uploaded`,
        });
  const setting = (message: string): void => {
    issues.push({ code: "invalidSetting", appletId: id, message });
  };
  switch (applet.kind) {
    case "greeting":
    case "hangup":
      break;
    case "voicemail":
      if (!(applet.maxLengthSec > 0)) setting("voicemail max length must be positive");
      break;
    case "ivrMenu":
      if (Object.keys(applet.branches).length === 0) {
        issues.push({ code: "missingBranch", appletId: id, message: "IVR menu has no digit branches" });
      }
      for (const digit of Object.keys(applet.branches)) {
        if (!DTMF.test(digit)) setting(`"${digit}" is not a DTMF digit`);
      }
      if (!(applet.timeoutSec > 0)) setting("IVR timeout must be positive");
      if (!(Number.isInteger(applet.retries) && applet.retries >= 0))
        setting("IVR retries must be 0 or more");
      if (!applet.timeoutBranch)
        issues.push({ code: "missingBranch", appletId: id, message: "no timeout branch" });
      if (!applet.invalidBranch)
        issues.push({ code: "missingBranch", appletId: id, message: "no invalid-input branch" });
      break;
    case "connect": {
      const t = applet.target;
      switch (t.kind) {
        case "number":
        case "external":
          if (!isE164(t.number)) {
            issues.push({
              code: "invalidNumber",
              appletId: id,
              message: `target "${t.number}" is not an E.164 number`,
            });
          }
          break;
        case "sip":
          if (!isSipUri(t.uri)) {
            issues.push({
              code: "invalidSipUri",
              appletId: id,
              message: `target "${t.uri}" is not a SIP URI`,
            });
          }
          break;
        case "agent":
          if (!config.agents[t.agentId]) {
            issues.push({
              code: "unknownAgent",
              appletId: id,
              message: `agent "${t.agentId}" is not configured`,
            });
          }
          break;
        case "group":
          if (!config.groups[t.groupId]) {
            issues.push({
              code: "unknownGroup",
              appletId: id,
              message: `group "${t.groupId}" is not configured`,
            });
          }
          break;
        default: {
          const unknown: never = t;
          throw new Error(`unknown target ${JSON.stringify(unknown)}`);
        }
      }
      if (applet.callerId?.kind === "custom" && !isE164(applet.callerId.number)) {
        issues.push({
          code: "invalidNumber",
          appletId: id,
          message: `custom caller ID "${applet.callerId.number}" is not an E.164 number`,
        });
      }
      if (applet.ringTimeoutSec !== undefined && !(applet.ringTimeoutSec > 0))
        setting("ring timeout must be positive");
      if (
        applet.maxRingAttempts !== undefined &&
        !(Number.isInteger(applet.maxRingAttempts) && applet.maxRingAttempts >= 1)
      ) {
        setting("max ring attempts must be 1 or more");
      }
      // "All agents busy" can only happen for a group target; the queue outcomes only for a queued group,
      // and each is covered by the branch it falls back to.
      const outcomes = FALLBACK_OUTCOMES.filter(
        (o) => (o !== "allAgentsBusy" || t.kind === "group") && QUEUE_OUTCOME_FALLS_BACK_TO[o] === undefined,
      );
      for (const outcome of outcomes) {
        if (!applet.branches[outcome] && !applet.branches.fallback) {
          issues.push({ code: "missingBranch", appletId: id, message: `no branch for outcome "${outcome}"` });
        }
      }
      break;
    }
    default: {
      const unknown: never = applet;
      throw new Error(`unknown applet ${JSON.stringify(unknown)}`);
    }
  }
  return issues;
}

/** Cycles that never stop to wait for the caller or for time would spin forever: find them. */
function cyclesWithoutWait(flow: Flow): FlowIssue[] {
  const issues: FlowIssue[] = [];
  // Only edges between non-waiting applets can form such a cycle.
  const nonWaiting = Object.entries(flow.applets).filter(([, a]) => !WAITING_APPLETS.has(a.kind));
  const nodes = new Set(nonWaiting.map(([id]) => id));
  const color = new Map<string, "grey" | "black">();
  const reported = new Set<string>();
  const path: string[] = [];
  const visit = (id: string): void => {
    color.set(id, "grey");
    path.push(id);
    const applet = flow.applets[id]!;
    for (const { to } of appletEdges(applet)) {
      if (!nodes.has(to)) continue;
      const c = color.get(to);
      if (c === "grey") {
        const cycle = path.slice(path.indexOf(to));
        const key = [...cycle].sort().join(",");
        if (!reported.has(key)) {
          reported.add(key);
          issues.push({
            code: "cycleWithoutWait",
            appletId: to,
            message: `cycle ${[...cycle, to].join(" → ")} never waits for the caller (needs an IVR menu or Connect)`,
          });
        }
      } else if (c === undefined) {
        visit(to);
      }
    }
    path.pop();
    color.set(id, "black");
  };
  for (const id of [...nodes].sort()) if (!color.has(id)) visit(id);
  return issues;
}

/** Something that loads and runs, but probably not as its author meant. */
export interface ConfigWarning {
  readonly flowId: string;
  readonly appletId: string;
  /** The applet's field the warning is about. */
  readonly field: string;
  readonly message: string;
}

/**
 * Warnings about a whole configuration: a Connect that asks for the caller's number as caller ID while the
 * account has pass-through off runs, but shows the business number (each call's decision says so too).
 */
export function configWarnings(config: Pick<ConfigSnapshot, "account" | "flows">): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (config.account.callerIdPassThrough) return warnings;
  for (const flow of Object.values(config.flows)) {
    for (const [appletId, applet] of Object.entries(flow.applets)) {
      if (applet.kind === "connect" && applet.callerId?.kind === "caller") {
        warnings.push({
          flowId: flow.flowId,
          appletId,
          field: "callerId",
          message:
            "asks for the caller's number as caller ID, but caller ID pass-through is off on the account: the business number is shown",
        });
      }
    }
  }
  return warnings;
}
