import type { Flow } from "../flow/model.js";
import type { Contact } from "../shared/audio.js";
import type { DialPolicy } from "../shared/dial-policy.js";
import type { CallsPeriod } from "../shared/period.js";
import type { QueueSettings, Strategy } from "./snapshot.js";

export type ConfigCommand =
  | {
      readonly type: "ConfigureAccount";
      readonly callerIdPassThrough?: boolean;
      readonly recordCalls?: boolean;
      readonly timeZone?: string;
      readonly callsPeriod?: CallsPeriod;
      readonly maxMissedOffers?: number;
      readonly missedOfferCooldownSec?: number;
      readonly dialPolicy?: DialPolicy;
    }
  | {
      readonly type: "DefineAgent";
      readonly agentId: string;
      readonly name: string;
      readonly contact: Contact;
      readonly wrapUpSec?: number;
    }
  | { readonly type: "RemoveAgent"; readonly agentId: string }
  | {
      readonly type: "DefineGroup";
      readonly groupId: string;
      readonly name: string;
      readonly strategy: Strategy;
      readonly members: readonly string[];
      readonly ringTimeoutSec?: number;
      readonly maxRingAttempts?: number;
      readonly queue?: Partial<QueueSettings>;
      readonly maxMissedOffers?: number;
      readonly missedOfferCooldownSec?: number;
    }
  | { readonly type: "RemoveGroup"; readonly groupId: string }
  | { readonly type: "DefineNumber"; readonly number: string; readonly flowId: string }
  | { readonly type: "RemoveNumber"; readonly number: string }
  | { readonly type: "DefineFlow"; readonly flow: Flow }
  | { readonly type: "RemoveFlow"; readonly flowId: string };
