import type { ConfigSnapshot } from "../config/snapshot.js";
import { RoutingDomainError } from "../shared/errors.js";
import { appletModule } from "./applets/registry.js";
import type { AppletAudio, AppletEdge, FlowIssue, FlowValidationContext } from "./issues.js";
import type { Applet, Flow } from "./model.js";

export type { FlowIssue, FlowIssueCode, FlowValidationContext } from "./issues.js";

/** Every (label, target) edge leaving an applet. */
export function appletEdges(applet: Applet): AppletEdge[] {
  return appletModule(applet.kind).edges(applet);
}

/** The applet's audio fields, with the audio each holds. */
export function appletAudio(applet: Applet): AppletAudio[] {
  return appletModule(applet.kind).audio(applet);
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
          ...(edge.field === undefined ? {} : { field: edge.field }),
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
  issues.push(...appletModule(applet.kind).validate(applet, id, config));
  return issues;
}

/** Cycles that never stop to wait for the caller or for time would spin forever: find them. */
function cyclesWithoutWait(flow: Flow): FlowIssue[] {
  const issues: FlowIssue[] = [];
  // Only edges between non-waiting applets can form such a cycle.
  const nonWaiting = Object.entries(flow.applets).filter(([, a]) => !appletModule(a.kind).waits);
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
