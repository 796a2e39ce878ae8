// AccountService: the account's settings (one resource, `account`) through the domain's config decider.
import { Account, Account_CallsPeriod, type DialPolicy as DialPolicyPb } from "@switchyard/admin-proto";
import {
  type AccountSettings,
  assertDialPolicy,
  type CallsPeriod,
  type ConfigCommand,
  type DialPolicy,
} from "@switchyard/routing-domain";
import { type ConfigView, checkEtag, etagOf } from "./config-store.js";
import type { ApiContext, Caller } from "./context.js";
import { type FieldViolation, InvalidRequestError } from "./errors.js";
import { requireResource } from "./names.js";

const NAME = "account";
const ETAG_KEY = "account:";
const MAX_RULES = 500;

const PERIODS: Record<CallsPeriod, Account_CallsPeriod> = {
  hour: Account_CallsPeriod.CALLS_PERIOD_HOUR,
  day: Account_CallsPeriod.CALLS_PERIOD_DAY,
  week: Account_CallsPeriod.CALLS_PERIOD_WEEK,
  month: Account_CallsPeriod.CALLS_PERIOD_MONTH,
};

/** Fields UpdateAccount may change (the mask's paths). */
const UPDATABLE = [
  "caller_id_pass_through",
  "record_calls",
  "time_zone",
  "calls_period",
  "max_missed_offers",
  "missed_offer_cooldown_seconds",
  "dial_policy",
] as const;
type Updatable = (typeof UPDATABLE)[number];

/** The external-leg caps that are set, the same on the wire and in the domain. */
const externalCaps = (p: { maxConcurrentExternalLegs?: number; maxExternalMinutesPerHour?: number }) => ({
  ...(p.maxConcurrentExternalLegs === undefined
    ? {}
    : { maxConcurrentExternalLegs: p.maxConcurrentExternalLegs }),
  ...(p.maxExternalMinutesPerHour === undefined
    ? {}
    : { maxExternalMinutesPerHour: p.maxExternalMinutesPerHour }),
});

/** The account's dial policy on the wire (the admin API's answers and `switchyard apply`'s requests). */
export const dialPolicyPb = (p: DialPolicy): DialPolicyPb => ({
  allowedCountryCodes: [...(p.allowedCountryCodes ?? [])],
  deniedPrefixes: [...p.deniedPrefixes],
  ...externalCaps(p),
});

/** A dial policy from the wire, not yet validated; no allowed country codes means every country. */
export const dialPolicyFromPb = (p: DialPolicyPb): DialPolicy => ({
  // Empty: every country (an account that may dial no country at all would be a mistake).
  ...(p.allowedCountryCodes.length > 0 ? { allowedCountryCodes: p.allowedCountryCodes } : {}),
  deniedPrefixes: p.deniedPrefixes,
  ...externalCaps(p),
});

export const toAccount = (view: ConfigView, a: AccountSettings): Account =>
  Account.fromPartial({
    name: NAME,
    callerIdPassThrough: a.callerIdPassThrough,
    recordCalls: a.recordCalls,
    timeZone: a.timeZone,
    callsPeriod: PERIODS[a.callsPeriod],
    ...(a.maxMissedOffers === undefined ? {} : { maxMissedOffers: a.maxMissedOffers }),
    ...(a.missedOfferCooldownSec === undefined
      ? {}
      : { missedOfferCooldownSeconds: a.missedOfferCooldownSec }),
    ...(a.dialPolicy === undefined ? {} : { dialPolicy: dialPolicyPb(a.dialPolicy) }),
    etag: etagOf(view, ETAG_KEY),
  });

export async function getAccount(ctx: ApiContext, name: string): Promise<Account> {
  if (name !== NAME && name !== "")
    throw new InvalidRequestError([
      { field: "name", description: 'the account is named "account"', reason: "INVALID_NAME" },
    ]);
  const view = await ctx.config.current();
  return toAccount(view, view.snapshot.account);
}

/** The ConfigureAccount command for the masked fields of `a`, every problem listed at once. */
function commandFor(a: Account, mask: readonly Updatable[]): ConfigCommand {
  const violations: FieldViolation[] = [];
  const has = (f: Updatable) => mask.includes(f);
  let callsPeriod: CallsPeriod | undefined;
  if (has("calls_period")) {
    callsPeriod = (Object.keys(PERIODS) as CallsPeriod[]).find((p) => PERIODS[p] === a.callsPeriod);
    if (callsPeriod === undefined)
      violations.push({
        field: "account.calls_period",
        description: "hour, day, week or month",
        reason: "INVALID_ENUM",
      });
  }
  let dialPolicy: DialPolicy | undefined;
  if (has("dial_policy")) {
    const p = a.dialPolicy ?? { allowedCountryCodes: [], deniedPrefixes: [] };
    if (p.allowedCountryCodes.length > MAX_RULES || p.deniedPrefixes.length > MAX_RULES)
      violations.push({
        field: "account.dial_policy",
        description: `at most ${MAX_RULES} entries each`,
        reason: "TOO_MANY",
      });
    dialPolicy = dialPolicyFromPb(p);
    try {
      assertDialPolicy(dialPolicy);
    } catch (error) {
      violations.push({
        field: "account.dial_policy",
        description: error instanceof Error ? error.message : String(error),
        reason: "INVALID_DIAL_POLICY",
      });
    }
  }
  for (const [field, value] of [
    ["max_missed_offers", a.maxMissedOffers],
    ["missed_offer_cooldown_seconds", a.missedOfferCooldownSeconds],
  ] as const) {
    if (has(field) && (value === undefined || value < 0))
      violations.push({ field: `account.${field}`, description: "0 or more", reason: "OUT_OF_RANGE" });
  }
  if (violations.length > 0) throw new InvalidRequestError(violations);
  return {
    type: "ConfigureAccount",
    ...(has("caller_id_pass_through") ? { callerIdPassThrough: a.callerIdPassThrough } : {}),
    ...(has("record_calls") ? { recordCalls: a.recordCalls } : {}),
    ...(has("time_zone") ? { timeZone: a.timeZone } : {}),
    ...(callsPeriod === undefined ? {} : { callsPeriod }),
    ...(has("max_missed_offers") ? { maxMissedOffers: a.maxMissedOffers } : {}),
    ...(has("missed_offer_cooldown_seconds") ? { missedOfferCooldownSec: a.missedOfferCooldownSeconds } : {}),
    ...(dialPolicy === undefined ? {} : { dialPolicy }),
  };
}

export async function updateAccount(
  ctx: ApiContext,
  caller: Caller,
  request: { account?: Account; updateMask?: string[] },
): Promise<Account> {
  const a = requireResource(request.account, "account");
  const paths = request.updateMask ?? [];
  if (paths.length === 0)
    throw new InvalidRequestError([
      {
        field: "update_mask",
        description: `name the fields to change (${UPDATABLE.join(", ")}, or *)`,
        reason: "REQUIRED",
      },
    ]);
  const bad = paths.filter((p) => p !== "*" && !(UPDATABLE as readonly string[]).includes(p));
  if (bad.length > 0)
    throw new InvalidRequestError(
      bad.map((p) => ({
        field: "update_mask",
        description: `"${p.slice(0, 60)}" cannot be updated (updatable: ${UPDATABLE.join(", ")})`,
        reason: "INVALID_FIELD_MASK",
      })),
    );
  const mask = paths.includes("*") ? [...UPDATABLE] : (paths as Updatable[]);
  const command = commandFor(a, mask);
  const { view } = await ctx.config.execute((v) => {
    checkEtag(v, ETAG_KEY, NAME, a.etag);
    return [command];
  }, caller.actor);
  return toAccount(view, view.snapshot.account);
}
