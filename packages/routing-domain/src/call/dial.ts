import { ExternalLegLimitError } from "../account/external-legs.js";
import type { Contact } from "../shared/audio.js";
import { capsExternalLegs, dialRefusal } from "../shared/dial-policy.js";
import type { DecisionBuilder } from "./builder.js";

/**
 * The targets the account's dial policy lets this decision ring; each refused one is recorded as a
 * DialRefused event with its reason. SIP endpoints are the platform's own and are not subject to it.
 */
export function dialable<T extends { readonly to: Contact; readonly agentId?: string }>(
  b: DecisionBuilder,
  targets: readonly T[],
  purpose: "connect" | "transfer",
): { readonly allowed: T[]; readonly refusals: string[] } {
  const policy = b.ctx.config.account.dialPolicy;
  const allowed: T[] = [];
  const refusals: string[] = [];
  for (const t of targets) {
    let reason = t.to.kind === "phone" ? dialRefusal(t.to.number, policy) : undefined;
    // Under capped dialling the leg takes its slot on the account's stream now, or is refused.
    if (reason === undefined && t.to.kind === "phone" && policy && capsExternalLegs(policy)) {
      try {
        b.externalLegsCommand({
          type: "StartExternalLeg",
          callId: b.state.callId,
          number: t.to.number,
          limits: {
            ...(policy.maxConcurrentExternalLegs !== undefined
              ? { maxConcurrent: policy.maxConcurrentExternalLegs }
              : {}),
            ...(policy.maxExternalMinutesPerHour !== undefined
              ? { maxMinutesPerHour: policy.maxExternalMinutesPerHour }
              : {}),
          },
          now: b.now,
        });
      } catch (error) {
        if (!(error instanceof ExternalLegLimitError)) throw error;
        reason = error.message;
      }
    }
    if (reason === undefined) {
      allowed.push(t);
      continue;
    }
    refusals.push(reason);
    b.emit({
      type: "DialRefused",
      data: { to: t.to, ...(t.agentId !== undefined ? { agentId: t.agentId } : {}), purpose, reason },
    });
  }
  return { allowed, refusals };
}
