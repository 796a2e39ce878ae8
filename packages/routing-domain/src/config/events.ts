import type { Flow } from "../flow/model.js";
import type { AccountSettings, AgentConfig, GroupConfig, NumberConfig } from "./snapshot.js";

/** Every config event carries the config version it creates (the config stream's version). */
export type ConfigEvent =
  | {
      readonly type: "AccountConfigured";
      readonly data: { readonly version: number; readonly account: AccountSettings };
    }
  | {
      readonly type: "AgentDefined";
      readonly data: { readonly version: number; readonly agent: AgentConfig };
    }
  | { readonly type: "AgentRemoved"; readonly data: { readonly version: number; readonly agentId: string } }
  | {
      readonly type: "GroupDefined";
      readonly data: { readonly version: number; readonly group: GroupConfig };
    }
  | { readonly type: "GroupRemoved"; readonly data: { readonly version: number; readonly groupId: string } }
  | {
      readonly type: "NumberDefined";
      readonly data: { readonly version: number; readonly number: NumberConfig };
    }
  | { readonly type: "NumberRemoved"; readonly data: { readonly version: number; readonly number: string } }
  | { readonly type: "FlowDefined"; readonly data: { readonly version: number; readonly flow: Flow } }
  | { readonly type: "FlowRemoved"; readonly data: { readonly version: number; readonly flowId: string } };
