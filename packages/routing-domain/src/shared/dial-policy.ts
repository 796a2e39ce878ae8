import { RoutingDomainError } from "./errors.js";
import { isE164 } from "./validation.js";

/**
 * Which phone numbers the platform may dial on the account's behalf (toll-fraud rules). Checked in the
 * routing domain on every outbound phone leg (Connect targets, agents' phones, transfers), so no flow,
 * transfer or admin request can dial around it. Absent: every E.164 number may be dialled.
 */
export interface DialPolicy {
  /** Country calling codes that may be dialled (e.g. "1", "44"); absent: every country. */
  readonly allowedCountryCodes?: readonly string[];
  /** Number prefixes that are never dialled (premium rate, e.g. "+1900", "+44909"). */
  readonly deniedPrefixes: readonly string[];
  /** External (phone-number) legs up at once across the account; absent: no cap. */
  readonly maxConcurrentExternalLegs?: number;
  /** Minutes of external legs (from the originate) per clock hour across the account; absent: no cap. */
  readonly maxExternalMinutesPerHour?: number;
}

/** Whether the policy caps external legs (then every phone leg is counted on the account's stream). */
export const capsExternalLegs = (policy: DialPolicy | undefined): boolean =>
  policy?.maxConcurrentExternalLegs !== undefined || policy?.maxExternalMinutesPerHour !== undefined;

export class InvalidDialPolicyError extends RoutingDomainError {
  override readonly name = "InvalidDialPolicyError";
}

const COUNTRY_CODE = /^[1-9]\d{0,2}$/;
const PREFIX = /^\+[1-9]\d{0,14}$/;

export function assertDialPolicy(policy: DialPolicy): void {
  for (const code of policy.allowedCountryCodes ?? []) {
    if (!COUNTRY_CODE.test(code))
      throw new InvalidDialPolicyError(`allowed country code "${code}" is not 1-3 digits (e.g. 44)`);
  }
  for (const [name, cap] of [
    ["maxConcurrentExternalLegs", policy.maxConcurrentExternalLegs],
    ["maxExternalMinutesPerHour", policy.maxExternalMinutesPerHour],
  ] as const) {
    if (cap !== undefined && !(Number.isInteger(cap) && cap >= 0 && cap <= 1_000_000))
      throw new InvalidDialPolicyError(`${name} must be a whole number from 0 to 1000000, not ${cap}`);
  }
  for (const prefix of policy.deniedPrefixes) {
    if (!PREFIX.test(prefix))
      throw new InvalidDialPolicyError(
        `denied prefix "${prefix}" is not a + followed by digits (e.g. +1900)`,
      );
  }
}

/** Why `number` may not be dialled under `policy`, or undefined when it may. */
export function dialRefusal(number: string, policy: DialPolicy | undefined): string | undefined {
  // Numbers reach here validated, but a rule that trusted that would be one bug away from a bypass.
  if (!isE164(number)) return `${JSON.stringify(number.slice(0, 32))} is not an E.164 number`;
  if (!policy) return undefined;
  const denied = policy.deniedPrefixes.find((p) => number.startsWith(p));
  if (denied !== undefined) return `${number} starts with the denied prefix ${denied}`;
  const allowed = policy.allowedCountryCodes;
  if (allowed !== undefined && !allowed.some((code) => number.startsWith(`+${code}`)))
    return `${number} is outside the allowed country codes (${allowed.map((c) => `+${c}`).join(", ")})`;
  return undefined;
}
