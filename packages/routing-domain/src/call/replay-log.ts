// Re-deciding a call's recorded decisions from an event log: one implementation for the admin API's
// ReplayCall and for the invariant checker (`switchyard check`, the chaos run). Each decision's context is
// rebuilt from the log at exactly the stream versions it recorded reading (config, agents, queues, groups,
// external legs), the call state from the call's earlier events, and decideCall must give back the events
// that were recorded. Pure: the caller hands in the streams (read from PostgreSQL, or a whole log in memory).
import { EMPTY_EXTERNAL_LEGS, EXTERNAL_LEGS_STREAM, evolveExternalLegs } from "../account/external-legs.js";
import { type AgentState, agentStreamId, evolveAgent, INITIAL_AGENT } from "../agent/agent.js";
import { CONFIG_STREAM, evolveConfig } from "../config/decider.js";
import { EMPTY_CONFIG } from "../config/snapshot.js";
import { EMPTY_QUEUE, evolveQueue, type QueueState, queueStreamId } from "../queue/queue.js";
import { RoutingDomainError } from "../shared/errors.js";
import { evolveGroup, type GroupRuntimeState, groupStreamId } from "../strategies/group-state.js";
import { decideCall } from "./decide.js";
import { evolveCall } from "./evolve.js";
import { compareDecision, type RecordedDecisionInput } from "./replay.js";
import { type CallEvent, type CallState, type DecisionContext, INITIAL_CALL } from "./types.js";

/** An event as the log keeps it (the part a replay reads). */
export interface LogEvent {
  readonly streamVersion: number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** One decision as stored: consecutive call events with one causation id. */
export interface StoredDecision<E extends LogEvent = LogEvent> {
  readonly causationId: string;
  readonly events: readonly E[];
  /** The command and the versions it read (the router records them with the decision's first event). */
  readonly input?: RecordedDecisionInput;
}

/** A call's events split into decisions (consecutive events with one causation id are one decision). */
export function storedDecisions<E extends LogEvent>(events: readonly E[]): StoredDecision<E>[] {
  const out: Array<{ causationId: string; events: E[]; input?: RecordedDecisionInput }> = [];
  for (const e of events) {
    const causationId = String(e.metadata.causationId ?? `event-${e.streamVersion}`);
    const last = out.at(-1);
    if (last && last.causationId === causationId) last.events.push(e);
    else {
      const input = e.metadata.decisionInput as RecordedDecisionInput | undefined;
      out.push({ causationId, events: [e], ...(input ? { input } : {}) });
    }
  }
  return out;
}

/** Every stream the recorded decisions read (the caller loads these before replaying). */
export function streamsReadBy(decisions: readonly StoredDecision[]): string[] {
  const ids = new Set<string>();
  for (const { input } of decisions) {
    if (!input) continue;
    ids.add(CONFIG_STREAM);
    for (const a of Object.keys(input.reads.agents)) ids.add(agentStreamId(a));
    for (const g of Object.keys(input.reads.queues)) ids.add(queueStreamId(g));
    for (const g of Object.keys(input.reads.groups)) ids.add(groupStreamId(g));
    if (input.reads.externalLegs !== undefined) ids.add(EXTERNAL_LEGS_STREAM);
  }
  return [...ids].sort();
}

/** A recorded decision read a stream version (or config version) the log does not hold. */
export class ReadNotInLogError extends Error {
  override readonly name = "ReadNotInLogError";
}

export type ReplayResult = "match" | "mismatch" | "not-recorded" | "not-replayable";

/** One decision re-decided and compared. */
export interface ReplayedDecisionOutcome<E extends LogEvent = LogEvent> {
  readonly decision: StoredDecision<E>;
  readonly result: ReplayResult;
  /** Why it is not a match (empty for a match). */
  readonly note: string;
  /** A mismatch: the index in the decision's events where they first differ, and what the replay decided there. */
  readonly difference?: { readonly index: number; readonly replayed?: CallEvent };
}

/**
 * States of a stream at each version, folded once per stream: a replay looks up many versions of the same
 * agent streams (every decision of every call), so each prefix is computed only once.
 */
class FoldedStream<S> {
  readonly #states: S[];
  constructor(
    readonly streamId: string,
    private readonly events: readonly { readonly type: string; readonly data: unknown }[],
    initial: S,
    private readonly evolve: (s: S, e: never) => S,
  ) {
    this.#states = [initial];
  }

  at(version: number): S {
    if (version > this.events.length)
      throw new ReadNotInLogError(
        `${this.streamId} has ${this.events.length} events, the decision read version ${version}`,
      );
    for (let v = this.#states.length; v <= version; v++) {
      const e = this.events[v - 1] as { type: string; data: unknown };
      this.#states.push(this.evolve(this.#states[v - 1] as S, { type: e.type, data: e.data } as never));
    }
    return this.#states[version] as S;
  }
}

/**
 * The streams a replay reads, given as their events in version order (`undefined`: the stream has none).
 * Keep one for many calls: folded states are shared between them.
 */
export class ReplayLog {
  readonly #folded = new Map<string, FoldedStream<unknown>>();
  readonly #configs = new Map<number, ReturnType<typeof evolveConfig>>();
  #configFolded = false;

  constructor(
    private readonly events: (
      streamId: string,
    ) => readonly { readonly type: string; readonly data: unknown }[] | undefined,
  ) {}

  #stream<S>(streamId: string, initial: S, evolve: (s: S, e: never) => S): FoldedStream<S> {
    let f = this.#folded.get(streamId) as FoldedStream<S> | undefined;
    // Stryker disable next-line ConditionalExpression: a cache; folding the stream afresh gives the same states, only slower
    if (!f) {
      f = new FoldedStream(streamId, this.events(streamId) ?? [], initial, evolve);
      this.#folded.set(streamId, f as FoldedStream<unknown>);
    }
    return f;
  }

  /** The configuration as of config version `version` (each config event carries the version it makes). */
  config(version: number) {
    // Stryker disable next-line ConditionalExpression: a cache; folding the config afresh gives the same snapshots, only slower
    if (!this.#configFolded) {
      this.#configFolded = true;
      let snapshot = EMPTY_CONFIG;
      this.#configs.set(snapshot.version, snapshot);
      for (const e of this.events(CONFIG_STREAM) ?? []) {
        snapshot = evolveConfig(snapshot, { type: e.type, data: e.data } as never);
        this.#configs.set(snapshot.version, snapshot);
      }
    }
    const snapshot = this.#configs.get(version);
    if (!snapshot) throw new ReadNotInLogError(`config version ${version} is not in the log`);
    return snapshot;
  }

  /** The decision's context, rebuilt at the versions it read. */
  contextAt(input: RecordedDecisionInput): DecisionContext {
    const { reads } = input;
    const entries = <S>(
      versions: Readonly<Record<string, number>>,
      streamOf: (id: string) => string,
      initial: S,
      evolve: (s: S, e: never) => S,
    ) =>
      Object.fromEntries(
        Object.entries(versions).map(([id, version]) => [
          id,
          { state: this.#stream(streamOf(id), initial, evolve).at(version), version },
        ]),
      );
    const external = reads.externalLegs;
    return {
      config: this.config(reads.configVersion),
      presence: entries<AgentState>(reads.agents, agentStreamId, INITIAL_AGENT, evolveAgent as never),
      queues: entries<QueueState>(reads.queues, queueStreamId, EMPTY_QUEUE, evolveQueue as never),
      groups: entries<GroupRuntimeState>(reads.groups, groupStreamId, {}, evolveGroup as never),
      ...(external === undefined
        ? {}
        : (() => {
            const state = this.#stream(
              EXTERNAL_LEGS_STREAM,
              EMPTY_EXTERNAL_LEGS,
              evolveExternalLegs as never,
            ).at(external);
            return { externalLegs: () => ({ state, version: external }) };
          })()),
    };
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Re-decides every recorded decision of a call (its events in version order) over the log and compares.
 * A decision that recorded no input, or chose through a large group's member index, cannot be re-decided
 * and says so; a read the log cannot give back, or a command the domain now refuses, is a mismatch. Any
 * other error is a bug in the decider and propagates.
 */
export function replayCallDecisions<E extends LogEvent>(
  callEvents: readonly E[],
  log: ReplayLog,
): ReplayedDecisionOutcome<E>[] {
  const out: ReplayedDecisionOutcome<E>[] = [];
  let state: CallState = INITIAL_CALL;
  for (const decision of storedDecisions(callEvents)) {
    const recorded = decision.events.map((e) => ({ type: e.type, data: e.data }) as CallEvent);
    const before = state;
    state = recorded.reduce(evolveCall, state);
    const { input } = decision;
    if (!input) {
      out.push({ decision, result: "not-recorded", note: "no decision input recorded" });
      continue;
    }
    if (input.reads.indexedGroups.length > 0) {
      out.push({
        decision,
        result: "not-replayable",
        note: `chosen through the member index of ${input.reads.indexedGroups.join(", ")}`,
      });
      continue;
    }
    let replayed: CallEvent[];
    try {
      replayed = [...decideCall(input.command, before, log.contextAt(input)).call.events];
    } catch (error) {
      if (!(error instanceof ReadNotInLogError) && !(error instanceof RoutingDomainError)) throw error;
      out.push({
        decision,
        result: "mismatch",
        note: `the ${input.command.type} could not be decided again: ${describe(error)}`,
        difference: { index: 0 },
      });
      continue;
    }
    // As the store would keep them (JSON): what the replay decided, compared with what was recorded.
    const asStored = JSON.parse(JSON.stringify(replayed)) as CallEvent[];
    const difference = compareDecision(recorded, asStored);
    if (!difference) {
      out.push({ decision, result: "match", note: "" });
      continue;
    }
    const at = decision.events[difference.index];
    const note = !difference.replayed
      ? `the replay decided ${replayed.length} events, ${recorded.length} were recorded: ${difference.recorded?.type} (version ${at?.streamVersion}) is missing`
      : !difference.recorded
        ? `the replay decided ${replayed.length} events, ${recorded.length} were recorded: it adds ${difference.replayed.type}`
        : difference.recorded.type !== difference.replayed.type
          ? `event ${difference.index + 1} of the decision: recorded ${difference.recorded.type}, replayed ${difference.replayed.type}`
          : `event ${difference.index + 1} of the decision (${difference.recorded.type}, version ${at?.streamVersion}) has different data`;
    out.push({
      decision,
      result: "mismatch",
      note,
      difference: {
        index: difference.index,
        ...(difference.replayed ? { replayed: difference.replayed } : {}),
      },
    });
  }
  return out;
}
