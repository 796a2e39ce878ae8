import { FlowValidationError, validateFlow } from "../flow/validate.js";
import { assertDialPolicy } from "../shared/dial-policy.js";
import { RoutingDomainError } from "../shared/errors.js";
import { assertE164, assertSipUri, assertTimeZone } from "../shared/validation.js";
import type { ConfigCommand } from "./commands.js";
import type { ConfigEvent } from "./events.js";
import {
  type ConfigSnapshot,
  DEFAULT_QUEUE,
  EMPTY_CONFIG,
  type GroupConfig,
  type QueueSettings,
  STRATEGIES,
} from "./snapshot.js";

export const CONFIG_STREAM = "config";

export class UnknownAgentError extends RoutingDomainError {
  override readonly name = "UnknownAgentError";
  constructor(readonly agentId: string) {
    super(`agent "${agentId}" is not configured`);
  }
}
export class UnknownGroupError extends RoutingDomainError {
  override readonly name = "UnknownGroupError";
  constructor(readonly groupId: string) {
    super(`group "${groupId}" is not configured`);
  }
}
export class UnknownFlowError extends RoutingDomainError {
  override readonly name = "UnknownFlowError";
  constructor(readonly flowId: string) {
    super(`flow "${flowId}" is not configured`);
  }
}
export class UnknownNumberError extends RoutingDomainError {
  override readonly name = "UnknownNumberError";
  constructor(readonly number: string) {
    super(`business number "${number}" is not configured`);
  }
}
export class InvalidSettingError extends RoutingDomainError {
  override readonly name = "InvalidSettingError";
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`${setting}: ${reason}`);
  }
}
/** Removing something that other config still refers to. */
export class ConfigInUseError extends RoutingDomainError {
  override readonly name = "ConfigInUseError";
  constructor(
    readonly what: string,
    readonly usedBy: readonly string[],
  ) {
    super(`${what} is still used by ${usedBy.join(", ")}`);
  }
}

const positiveInt = (value: number, setting: string): void => {
  if (!(Number.isInteger(value) && value > 0))
    throw new InvalidSettingError(setting, "must be a positive integer");
};

const nonNegativeInt = (value: number | undefined, setting: string): void => {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0))
    throw new InvalidSettingError(setting, "must be 0 or a positive integer");
};

/** The missed-offer settings a command gives (or `previous` keeps), without keys for absent ones. */
function missedOfferSettings(
  command: { readonly maxMissedOffers?: number; readonly missedOfferCooldownSec?: number },
  previous: { readonly maxMissedOffers?: number; readonly missedOfferCooldownSec?: number } = {},
) {
  nonNegativeInt(command.maxMissedOffers, "maxMissedOffers");
  nonNegativeInt(command.missedOfferCooldownSec, "missedOfferCooldownSec");
  const max = command.maxMissedOffers ?? previous.maxMissedOffers;
  const cooldown = command.missedOfferCooldownSec ?? previous.missedOfferCooldownSec;
  return {
    ...(max !== undefined ? { maxMissedOffers: max } : {}),
    ...(cooldown !== undefined ? { missedOfferCooldownSec: cooldown } : {}),
  };
}

export function decideConfig(command: ConfigCommand, state: ConfigSnapshot): ConfigEvent[] {
  const version = state.version + 1;
  switch (command.type) {
    case "ConfigureAccount": {
      if (command.timeZone !== undefined) assertTimeZone(command.timeZone);
      if (command.dialPolicy !== undefined) assertDialPolicy(command.dialPolicy);
      const dialPolicy = command.dialPolicy ?? state.account.dialPolicy;
      const account = {
        callerIdPassThrough: command.callerIdPassThrough ?? state.account.callerIdPassThrough,
        recordCalls: command.recordCalls ?? state.account.recordCalls,
        timeZone: command.timeZone ?? state.account.timeZone,
        callsPeriod: command.callsPeriod ?? state.account.callsPeriod,
        ...missedOfferSettings(command, state.account),
        ...(dialPolicy === undefined ? {} : { dialPolicy }),
      };
      return [{ type: "AccountConfigured", data: { version, account } }];
    }
    case "DefineAgent": {
      if (!command.agentId) throw new InvalidSettingError("agentId", "must not be empty");
      if (command.contact.kind === "phone")
        assertE164(command.contact.number, `agent ${command.agentId} number`);
      else assertSipUri(command.contact.uri, `agent ${command.agentId} SIP URI`);
      const wrapUpSec = command.wrapUpSec ?? 0;
      if (!(Number.isInteger(wrapUpSec) && wrapUpSec >= 0)) {
        throw new InvalidSettingError("wrapUpSec", "must be 0 or a positive integer");
      }
      const agent = { agentId: command.agentId, name: command.name, contact: command.contact, wrapUpSec };
      return [{ type: "AgentDefined", data: { version, agent } }];
    }
    case "RemoveAgent": {
      if (!state.agents[command.agentId]) throw new UnknownAgentError(command.agentId);
      const usedBy = [
        ...Object.values(state.groups)
          .filter((g) => g.members.includes(command.agentId))
          .map((g) => `group ${g.groupId}`),
        ...flowsUsing(state, (t) => t.kind === "agent" && t.agentId === command.agentId),
      ];
      if (usedBy.length > 0) throw new ConfigInUseError(`agent ${command.agentId}`, usedBy);
      return [{ type: "AgentRemoved", data: { version, agentId: command.agentId } }];
    }
    case "DefineGroup": {
      if (!STRATEGIES.includes(command.strategy))
        throw new InvalidSettingError("strategy", `unknown "${command.strategy}"`);
      const seen = new Set<string>();
      for (const member of command.members) {
        if (!state.agents[member]) throw new UnknownAgentError(member);
        if (seen.has(member)) throw new InvalidSettingError("members", `agent ${member} is listed twice`);
        seen.add(member);
      }
      const ringTimeoutSec = command.ringTimeoutSec ?? 30;
      const maxRingAttempts = command.maxRingAttempts ?? 1;
      positiveInt(ringTimeoutSec, "ringTimeoutSec");
      positiveInt(maxRingAttempts, "maxRingAttempts");
      const queue: QueueSettings = { ...DEFAULT_QUEUE, ...command.queue };
      positiveInt(queue.maxSize, "queue.maxSize");
      positiveInt(queue.maxWaitSec, "queue.maxWaitSec");
      positiveInt(queue.announceEverySec, "queue.announceEverySec");
      nonNegativeInt(queue.priority, "queue.priority");
      if (queue.callback) {
        positiveInt(queue.callback.offerAfterSec, "queue.callback.offerAfterSec");
        positiveInt(queue.callback.maxAttempts, "queue.callback.maxAttempts");
        positiveInt(queue.callback.retryAfterSec, "queue.callback.retryAfterSec");
        if (!/^[0-9*#]$/.test(queue.callback.key))
          throw new InvalidSettingError("queue.callback.key", "must be one digit, * or #");
      }
      const missed = missedOfferSettings(command);
      const group: GroupConfig = {
        groupId: command.groupId,
        name: command.name,
        strategy: command.strategy,
        members: [...command.members],
        ringTimeoutSec,
        maxRingAttempts,
        queue,
        ...missed,
      };
      return [{ type: "GroupDefined", data: { version, group } }];
    }
    case "RemoveGroup": {
      if (!state.groups[command.groupId]) throw new UnknownGroupError(command.groupId);
      const usedBy = flowsUsing(state, (t) => t.kind === "group" && t.groupId === command.groupId);
      if (usedBy.length > 0) throw new ConfigInUseError(`group ${command.groupId}`, usedBy);
      return [{ type: "GroupRemoved", data: { version, groupId: command.groupId } }];
    }
    case "DefineNumber": {
      assertE164(command.number, "business number");
      if (!state.flows[command.flowId]) throw new UnknownFlowError(command.flowId);
      return [
        {
          type: "NumberDefined",
          data: { version, number: { number: command.number, flowId: command.flowId } },
        },
      ];
    }
    case "RemoveNumber": {
      if (!state.numbers[command.number]) throw new UnknownNumberError(command.number);
      return [{ type: "NumberRemoved", data: { version, number: command.number } }];
    }
    case "DefineFlow": {
      const issues = validateFlow(command.flow, state);
      if (issues.length > 0) throw new FlowValidationError(command.flow.flowId, issues);
      return [{ type: "FlowDefined", data: { version, flow: command.flow } }];
    }
    case "RemoveFlow": {
      if (!state.flows[command.flowId]) throw new UnknownFlowError(command.flowId);
      const usedBy = Object.values(state.numbers)
        .filter((n) => n.flowId === command.flowId)
        .map((n) => `number ${n.number}`);
      if (usedBy.length > 0) throw new ConfigInUseError(`flow ${command.flowId}`, usedBy);
      return [{ type: "FlowRemoved", data: { version, flowId: command.flowId } }];
    }
    default: {
      const unknown: never = command;
      throw new Error(`unknown config command ${JSON.stringify(unknown)}`);
    }
  }
}

function flowsUsing(
  state: ConfigSnapshot,
  matches: (target: import("../flow/model.js").ConnectTarget) => boolean,
): string[] {
  return Object.values(state.flows)
    .filter((f) => Object.values(f.applets).some((a) => a.kind === "connect" && matches(a.target)))
    .map((f) => `flow ${f.flowId}`);
}

const without = <T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const copy = { ...record };
  delete copy[key];
  return copy;
};

export function evolveConfig(state: ConfigSnapshot, event: ConfigEvent): ConfigSnapshot {
  const version = event.data.version;
  switch (event.type) {
    case "AccountConfigured":
      return { ...state, version, account: event.data.account };
    case "AgentDefined":
      return { ...state, version, agents: { ...state.agents, [event.data.agent.agentId]: event.data.agent } };
    case "AgentRemoved":
      return { ...state, version, agents: without(state.agents, event.data.agentId) };
    case "GroupDefined":
      return { ...state, version, groups: { ...state.groups, [event.data.group.groupId]: event.data.group } };
    case "GroupRemoved":
      return { ...state, version, groups: without(state.groups, event.data.groupId) };
    case "NumberDefined":
      return {
        ...state,
        version,
        numbers: { ...state.numbers, [event.data.number.number]: event.data.number },
      };
    case "NumberRemoved":
      return { ...state, version, numbers: without(state.numbers, event.data.number) };
    case "FlowDefined":
      return { ...state, version, flows: { ...state.flows, [event.data.flow.flowId]: event.data.flow } };
    case "FlowRemoved":
      return { ...state, version, flows: without(state.flows, event.data.flowId) };
    default: {
      const unknown: never = event;
      throw new Error(`unknown config event ${JSON.stringify(unknown)}`);
    }
  }
}

export const configDecider = {
  initialState: (): ConfigSnapshot => EMPTY_CONFIG,
  decide: decideConfig,
  evolve: evolveConfig,
};

/** Folds config commands into a snapshot (tests, seeding, the CLI). Throws the first rejected command's error. */
export function buildConfig(
  commands: readonly ConfigCommand[],
  from: ConfigSnapshot = EMPTY_CONFIG,
): ConfigSnapshot {
  let state = from;
  for (const command of commands)
    for (const e of decideConfig(command, state)) state = evolveConfig(state, e);
  return state;
}
