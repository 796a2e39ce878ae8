import type { Flow } from "../flow/model.js";
import type { Audio, Contact } from "../shared/audio.js";
import type { DialPolicy } from "../shared/dial-policy.js";
import type { CallsPeriod } from "../shared/period.js";

// A group's strategy is one of the registry's modules (strategies/registry.ts).
import type { Strategy } from "../strategies/registry.js";

export { STRATEGIES, type Strategy } from "../strategies/registry.js";

export interface AccountSettings {
  /** Required before a Connect applet may show the caller's own number to the agent. */
  readonly callerIdPassThrough: boolean;
  /** App-level recording; Connect's "inherit" uses it. */
  readonly recordCalls: boolean;
  /** IANA zone; the calls-handled period is counted on this wall clock. */
  readonly timeZone: string;
  readonly callsPeriod: CallsPeriod;
  /** Account default for groups that do not set it (absent: `DEFAULT_MISSED_OFFERS`). */
  readonly maxMissedOffers?: number;
  /** Account default for groups that do not set it (absent: 0). */
  readonly missedOfferCooldownSec?: number;
  /** Toll-fraud rules for every outbound phone leg; absent: any E.164 number. */
  readonly dialPolicy?: DialPolicy;
}

export const DEFAULT_ACCOUNT: AccountSettings = {
  callerIdPassThrough: false,
  recordCalls: false,
  timeZone: "UTC",
  callsPeriod: "day",
};

export interface AgentConfig {
  readonly agentId: string;
  readonly name: string;
  readonly contact: Contact;
  /** Seconds of wrap-up after each call before the agent is offered another; default 0. */
  readonly wrapUpSec: number;
}

export interface QueueSettings {
  readonly enabled: boolean;
  readonly holdMusic: Audio;
  readonly announcePosition: boolean;
  /** Position announcements are made at most this often. */
  readonly announceEverySec: number;
  readonly maxWaitSec: number;
  readonly maxSize: number;
  /**
   * An agent in several queued groups serves the highest priority first, then the longest-waiting caller
   * among queues of equal priority. Default 0.
   */
  readonly priority: number;
  /** Offer waiting callers a callback that keeps their place; absent: no callbacks. */
  readonly callback?: CallbackSettings;
}

export interface CallbackSettings {
  /** The offer is played once a caller has waited this long. */
  readonly offerAfterSec: number;
  /** The digit that accepts it. */
  readonly key: string;
  /** Calls back at most this many times before giving up. */
  readonly maxAttempts: number;
  /** After an unanswered call back, the next try waits this long (keeping the caller's place). */
  readonly retryAfterSec: number;
}

export const DEFAULT_QUEUE: QueueSettings = {
  enabled: false,
  holdMusic: { kind: "defaultTone" },
  announcePosition: false,
  announceEverySec: 30,
  maxWaitSec: 300,
  maxSize: 10,
  priority: 0,
};

export interface GroupConfig {
  readonly groupId: string;
  readonly name: string;
  readonly strategy: Strategy;
  /** Ordered: the Sequential strategy rings in this order, Round-Robin rotates through it. */
  readonly members: readonly string[];
  readonly ringTimeoutSec: number;
  readonly maxRingAttempts: number;
  readonly queue: QueueSettings;
  /**
   * Consecutive offers an agent may miss (no answer, busy, rejected) before being put on break with reason
   * "missed offers"; 0 never pauses. Absent: the account's setting.
   */
  readonly maxMissedOffers?: number;
  /** After a missed offer the agent is not offered another call for this long. Absent: the account's. */
  readonly missedOfferCooldownSec?: number;
}

/** Consecutive missed offers after which an agent is paused, when neither group nor account says. */
export const DEFAULT_MISSED_OFFERS = 3;

export interface MissedOfferPolicy {
  readonly maxMissedOffers: number;
  readonly cooldownSec: number;
}

/** The missed-offer policy for an offer made through `groupId` (group, else account, else defaults). */
export function missedOfferPolicy(
  config: Pick<ConfigSnapshot, "account" | "groups">,
  groupId: string | undefined,
): MissedOfferPolicy {
  const group = groupId !== undefined ? config.groups[groupId] : undefined;
  return {
    maxMissedOffers: group?.maxMissedOffers ?? config.account.maxMissedOffers ?? DEFAULT_MISSED_OFFERS,
    cooldownSec: group?.missedOfferCooldownSec ?? config.account.missedOfferCooldownSec ?? 0,
  };
}

export interface NumberConfig {
  /** The business number (E.164) callers dial. */
  readonly number: string;
  readonly flowId: string;
}

/** The configuration as of `version` (the number of config events applied). */
export interface ConfigSnapshot {
  readonly version: number;
  readonly account: AccountSettings;
  readonly agents: Readonly<Record<string, AgentConfig>>;
  readonly groups: Readonly<Record<string, GroupConfig>>;
  readonly numbers: Readonly<Record<string, NumberConfig>>;
  readonly flows: Readonly<Record<string, Flow>>;
}

export const EMPTY_CONFIG: ConfigSnapshot = {
  version: 0,
  account: DEFAULT_ACCOUNT,
  agents: {},
  groups: {},
  numbers: {},
  flows: {},
};

/** The groups an agent serves, in group id order. */
export function groupsOf(config: ConfigSnapshot, agentId: string): string[] {
  return Object.values(config.groups)
    .filter((g) => g.members.includes(agentId))
    .map((g) => g.groupId)
    .sort();
}
