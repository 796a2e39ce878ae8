// The Connect applet's settings, its branches and the rules they are checked against.
import type { Audio } from "../../../shared/audio.js";
import { isE164, isSipUri } from "../../../shared/validation.js";
import { type AppletEdge, type FlowIssue, type FlowValidationContext, settingIssue } from "../../issues.js";

/** Where a Connect applet rings. */
export type ConnectTarget =
  | { readonly kind: "number"; readonly number: string } // "Single Number"
  | { readonly kind: "agent"; readonly agentId: string }
  | { readonly kind: "group"; readonly groupId: string }
  | { readonly kind: "external"; readonly number: string } // any number, full E.164 with country code
  | { readonly kind: "sip"; readonly uri: string };

/** What the agent sees as the calling number. */
export type CallerIdOption =
  | { readonly kind: "business" }
  | { readonly kind: "caller" }
  | { readonly kind: "custom"; readonly number: string };

export type RecordOption = "inherit" | "on" | "off";

/**
 * How a Connect ends. `queueTimeout` (a queued caller waited the queue's maximum) and `queueFull` (the queue
 * had no room) take their own branch when the flow wires one, else the branch they took before they were
 * told apart (`noAnswer` and `allAgentsBusy`), so existing flows keep their meaning.
 */
export type ConnectOutcome =
  | "answered"
  | "noAnswer"
  | "busy"
  | "failed"
  | "allAgentsBusy"
  | "queueTimeout"
  | "queueFull";
export type FallbackOutcome = Exclude<ConnectOutcome, "answered">;
export const FALLBACK_OUTCOMES: readonly FallbackOutcome[] = [
  "noAnswer",
  "busy",
  "failed",
  "allAgentsBusy",
  "queueTimeout",
  "queueFull",
];
/** The outcome whose branch a queue outcome takes when the flow has no branch of its own for it. */
export const QUEUE_OUTCOME_FALLS_BACK_TO: Readonly<Partial<Record<FallbackOutcome, FallbackOutcome>>> = {
  queueTimeout: "noAnswer",
  queueFull: "allAgentsBusy",
};

export interface ConnectBranches {
  readonly noAnswer?: string;
  readonly busy?: string;
  readonly failed?: string;
  readonly allAgentsBusy?: string;
  /** A queued caller waited the queue's maximum (else the `noAnswer` branch). */
  readonly queueTimeout?: string;
  /** The queue was full (else the `allAgentsBusy` branch). */
  readonly queueFull?: string;
  /** Taken for any fallback outcome that has no branch of its own. */
  readonly fallback?: string;
}

export interface ConnectApplet {
  readonly kind: "connect";
  readonly target: ConnectTarget;
  /** Default: the group's ring timeout, else 30 s. */
  readonly ringTimeoutSec?: number;
  /** Default: business number. */
  readonly callerId?: CallerIdOption;
  /** Default: the platform tone. `{ kind: "ringback" }` plays ringing instead. */
  readonly holdMusic?: Audio;
  /** Sequential strategy only: passes over the member list. Default: the group's setting, else 1. */
  readonly maxRingAttempts?: number;
  /** Played to the agent leg only, before the bridge. Default: none. */
  readonly whisper?: Audio;
  /** Default: inherit the account's (app-level) recording setting. */
  readonly record?: RecordOption;
  readonly branches: ConnectBranches;
}

/** The applet a Connect outcome continues to, or undefined when the flow has no branch for it. */
export function branchFor(applet: ConnectApplet, outcome: FallbackOutcome): string | undefined {
  const before = QUEUE_OUTCOME_FALLS_BACK_TO[outcome];
  return (
    applet.branches[outcome] ?? (before ? applet.branches[before] : undefined) ?? applet.branches.fallback
  );
}

export function connectEdges(applet: ConnectApplet): AppletEdge[] {
  return Object.entries(applet.branches)
    .filter((entry): entry is [string, string] => typeof entry[1] === "string")
    .map(([label, to]) => ({ label, to }));
}

function targetIssues(t: ConnectTarget, appletId: string, config: FlowValidationContext): FlowIssue[] {
  switch (t.kind) {
    case "number":
    case "external":
      return isE164(t.number)
        ? []
        : [{ code: "invalidNumber", appletId, message: `target "${t.number}" is not an E.164 number` }];
    case "sip":
      return isSipUri(t.uri)
        ? []
        : [{ code: "invalidSipUri", appletId, message: `target "${t.uri}" is not a SIP URI` }];
    case "agent":
      return config.agents[t.agentId]
        ? []
        : [{ code: "unknownAgent", appletId, message: `agent "${t.agentId}" is not configured` }];
    case "group":
      return config.groups[t.groupId]
        ? []
        : [{ code: "unknownGroup", appletId, message: `group "${t.groupId}" is not configured` }];
    default: {
      const unknown: never = t;
      throw new Error(`unknown target ${JSON.stringify(unknown)}`);
    }
  }
}

export function validateConnect(
  applet: ConnectApplet,
  appletId: string,
  config: FlowValidationContext,
): FlowIssue[] {
  const issues = targetIssues(applet.target, appletId, config);
  if (applet.callerId?.kind === "custom" && !isE164(applet.callerId.number)) {
    issues.push({
      code: "invalidNumber",
      appletId,
      message: `custom caller ID "${applet.callerId.number}" is not an E.164 number`,
    });
  }
  if (applet.ringTimeoutSec !== undefined && !(applet.ringTimeoutSec > 0))
    issues.push(settingIssue(appletId, "ring timeout must be positive"));
  if (
    applet.maxRingAttempts !== undefined &&
    !(Number.isInteger(applet.maxRingAttempts) && applet.maxRingAttempts >= 1)
  ) {
    issues.push(settingIssue(appletId, "max ring attempts must be 1 or more"));
  }
  // "All agents busy" can only happen for a group target; the queue outcomes only for a queued group,
  // and each is covered by the branch it falls back to.
  const outcomes = FALLBACK_OUTCOMES.filter(
    (o) =>
      (o !== "allAgentsBusy" || applet.target.kind === "group") &&
      QUEUE_OUTCOME_FALLS_BACK_TO[o] === undefined,
  );
  for (const outcome of outcomes) {
    if (!applet.branches[outcome] && !applet.branches.fallback) {
      issues.push({ code: "missingBranch", appletId, message: `no branch for outcome "${outcome}"` });
    }
  }
  return issues;
}
