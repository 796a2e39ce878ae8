// Deterministic replay of a call's decisions. A decision is decideCall(command, state, context): the state
// is the fold of the call's earlier events, and the context is the configuration and the agent, queue and
// group streams it looked up. Recording the command and *which version of each stream it read* is enough
// to rebuild that context exactly from the log later, and so to decide again and compare.
import type { PresenceEntry } from "../agent/agent.js";
import type { QueueViewEntry } from "../queue/queue.js";
import type { GroupViewEntry } from "../strategies/group-state.js";
import type { CallCommand, CallEvent, DecisionContext } from "./types.js";

/** What a decision read besides the call: the config version, and each stream's version as it saw it. */
export interface DecisionReads {
  readonly configVersion: number;
  /** agentId → version of the agent's stream (its presence entry). */
  readonly agents: Readonly<Record<string, number>>;
  /** groupId → version of the group's queue stream. */
  readonly queues: Readonly<Record<string, number>>;
  /** groupId → version of the group's round-robin stream. */
  readonly groups: Readonly<Record<string, number>>;
  /**
   * Large groups whose members were chosen through the router's member index: the index reports only the
   * members it looked at, so a replay over the recorded presence cannot reproduce the candidate list.
   */
  readonly indexedGroups: readonly string[];
  /** Version of the account's external-legs stream, when the decision read it (capped dialling). */
  readonly externalLegs?: number;
}

/** One decision's recorded input, stored with its call events (event metadata `decisionInput`). */
export interface RecordedDecisionInput {
  readonly command: CallCommand;
  readonly reads: DecisionReads;
}

/**
 * The context as the decision sees it, recording each lookup's version (lookups that find nothing are not
 * recorded: at replay they find nothing too).
 */
export function recordingContext(ctx: DecisionContext): {
  readonly ctx: DecisionContext;
  reads(): DecisionReads;
} {
  const agents: Record<string, number> = {};
  const queues: Record<string, number> = {};
  const groups: Record<string, number> = {};
  const indexed = new Set<string>();
  const recording = <E extends { readonly version: number }>(
    view: Readonly<Record<string, E>>,
    into: Record<string, number>,
  ): Readonly<Record<string, E>> =>
    new Proxy({} as Record<string, E>, {
      get: (_, key) => {
        if (typeof key !== "string") return undefined;
        const entry = view[key];
        if (entry) into[key] = entry.version;
        return entry;
      },
    });
  const memberIndex = ctx.memberIndex;
  const externalLegs = ctx.externalLegs;
  let externalLegsVersion: number | undefined;
  return {
    // Every lookup the decision makes goes through here; fields with nothing to record pass as they are.
    ctx: {
      ...ctx,
      presence: recording<PresenceEntry>(ctx.presence, agents),
      queues: recording<QueueViewEntry>(ctx.queues, queues),
      groups: recording<GroupViewEntry>(ctx.groups, groups),
      ...(memberIndex
        ? {
            memberIndex: (groupId: string) => {
              const index = memberIndex(groupId);
              if (index) indexed.add(groupId);
              return index;
            },
          }
        : {}),
      ...(externalLegs
        ? {
            externalLegs: () => {
              const entry = externalLegs();
              externalLegsVersion = entry.version;
              return entry;
            },
          }
        : {}),
    },
    reads: () => ({
      configVersion: ctx.config.version,
      agents: { ...agents },
      queues: { ...queues },
      groups: { ...groups },
      indexedGroups: [...indexed].sort(),
      ...(externalLegsVersion === undefined ? {} : { externalLegs: externalLegsVersion }),
    }),
  };
}

/** Where a replayed decision first differs from the recorded one (undefined: identical). */
export interface DecisionDifference {
  /** Index in the decision's events. */
  readonly index: number;
  /** The recorded event there (absent: the replay decided more events). */
  readonly recorded?: CallEvent;
  /** The replayed event there (absent: the replay decided fewer events). */
  readonly replayed?: CallEvent;
}

/** Value equality as the event store keeps events (JSON: key order and undefined members do not count). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? // Stryker disable next-line EqualityOperator: an object's keys are distinct, so <= sorts as < does, and >= sorts every object in the reverse order, which is as canonical
        Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Compares a decision's recorded call events with the replayed ones, event by event. */
export function compareDecision(
  recorded: readonly CallEvent[],
  replayed: readonly CallEvent[],
): DecisionDifference | undefined {
  for (let i = 0; i < Math.max(recorded.length, replayed.length); i++) {
    const r = recorded[i];
    const p = replayed[i];
    if (r === undefined || p === undefined || canonical(r) !== canonical(p))
      return { index: i, ...(r ? { recorded: r } : {}), ...(p ? { replayed: p } : {}) };
  }
  return undefined;
}
