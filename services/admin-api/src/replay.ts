// ReplayCall: each of a call's decisions re-decided from its recorded input. The router stores, with a
// decision's call events, the command and the version of every stream the decision read (event metadata
// `decisionInput`); here the context is rebuilt from the log at exactly those versions (config, agents,
// queues, groups), the call state from the call's earlier events, and decideCall must give back the same
// events. Reads only: nothing is appended or sent.
import {
  ReplayCallResponse_Outcome as Outcome,
  ReplayCallResponse,
  type ReplayedDecision,
  ReplayMismatch,
  ReplayedDecision_Result as Result,
} from "@switchyard/admin-proto";
import type { RecordedEvent } from "@switchyard/event-store";
import {
  type AgentEvent,
  type AgentState,
  agentStreamId,
  type CallEvent,
  type CallState,
  CONFIG_STREAM,
  type ConfigEvent,
  type ConfigSnapshot,
  compareDecision,
  type DecisionContext,
  decideCall,
  EMPTY_CONFIG,
  EMPTY_EXTERNAL_LEGS,
  EMPTY_QUEUE,
  EXTERNAL_LEGS_STREAM,
  type ExternalLegsEvent,
  evolveAgent,
  evolveCall,
  evolveConfig,
  evolveExternalLegs,
  evolveGroup,
  evolveQueue,
  type GroupEvent,
  type GroupRuntimeState,
  groupStreamId,
  INITIAL_AGENT,
  INITIAL_CALL,
  type QueueEvent,
  type QueueState,
  queueStreamId,
  type RecordedDecisionInput,
  RoutingDomainError,
} from "@switchyard/routing-domain";
import { toRecordedEventPb } from "./calls.js";
import type { ApiContext } from "./context.js";

/** One decision as stored: the call events of one input, in order. */
interface StoredDecision {
  readonly causationId: string;
  readonly events: readonly RecordedEvent[];
  readonly input?: RecordedDecisionInput;
}

/** Consecutive call events with one causation id are one decision. */
function decisionsOf(events: readonly RecordedEvent[]): StoredDecision[] {
  const out: Array<{ causationId: string; events: RecordedEvent[]; input?: RecordedDecisionInput }> = [];
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

/** A recorded decision read a stream version (or config version) the log does not hold (any more). */
export class ReadNotInLogError extends Error {
  override readonly name = "ReadNotInLogError";
}

/** Folds streams up to a version, each stream read once per replay. */
class StreamsAt {
  readonly #streams = new Map<string, Promise<RecordedEvent[]>>();
  constructor(private readonly ctx: ApiContext) {}

  async at<S>(streamId: string, version: number, initial: S, evolve: (s: S, e: never) => S): Promise<S> {
    let read = this.#streams.get(streamId);
    if (!read) {
      read = this.ctx.store.readStream(streamId);
      this.#streams.set(streamId, read);
    }
    const events = await read;
    if (events.length < version)
      throw new ReadNotInLogError(
        `${streamId} has ${events.length} events, the decision read version ${version}`,
      );
    return events
      .slice(0, version)
      .reduce((s, e) => evolve(s, { type: e.type, data: e.data } as never), initial);
  }

  /** The configuration as of config version `version` (each config event carries the version it makes). */
  async config(version: number): Promise<ConfigSnapshot> {
    let read = this.#streams.get(CONFIG_STREAM);
    if (!read) {
      read = this.ctx.store.readStream(CONFIG_STREAM);
      this.#streams.set(CONFIG_STREAM, read);
    }
    let snapshot = EMPTY_CONFIG;
    for (const e of await read) {
      const event = { type: e.type, data: e.data } as ConfigEvent;
      if (event.data.version > version) break;
      snapshot = evolveConfig(snapshot, event);
    }
    if (snapshot.version !== version)
      throw new ReadNotInLogError(`config version ${version} is not in the log`);
    return snapshot;
  }
}

/** The decision's context, rebuilt from the log at the versions it read. */
async function contextAt(streams: StreamsAt, input: RecordedDecisionInput): Promise<DecisionContext> {
  const { reads } = input;
  const entries = async <S>(
    versions: Readonly<Record<string, number>>,
    streamOf: (id: string) => string,
    initial: S,
    evolve: (s: S, e: never) => S,
  ) =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(versions).map(async ([id, version]) => [
          id,
          { state: await streams.at(streamOf(id), version, initial, evolve), version },
        ]),
      ),
    );
  return {
    config: await streams.config(reads.configVersion),
    presence: await entries<AgentState>(reads.agents, agentStreamId, INITIAL_AGENT, (s, e) =>
      evolveAgent(s, e as AgentEvent),
    ),
    queues: await entries<QueueState>(reads.queues, queueStreamId, EMPTY_QUEUE, (s, e) =>
      evolveQueue(s, e as QueueEvent),
    ),
    groups: await entries<GroupRuntimeState>(reads.groups, groupStreamId, {}, (s, e) =>
      evolveGroup(s, e as GroupEvent),
    ),
    ...(reads.externalLegs === undefined
      ? {}
      : await (async () => {
          const version = reads.externalLegs!;
          const state = await streams.at(EXTERNAL_LEGS_STREAM, version, EMPTY_EXTERNAL_LEGS, (s, e) =>
            evolveExternalLegs(s, e as ExternalLegsEvent),
          );
          return { externalLegs: () => ({ state, version }) };
        })()),
  };
}

/** The domain refused the recorded command on the rebuilt state: the recorded decision cannot be re-made. */
const isDomainRefusal = (error: Error) => error instanceof RoutingDomainError;

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

const asCallEvent = (e: RecordedEvent) => ({ type: e.type, data: e.data }) as CallEvent;

/** Re-decides every recorded decision of the call (whose events are given) and compares. */
export async function replayCall(
  ctx: ApiContext,
  events: readonly RecordedEvent[],
): Promise<ReplayCallResponse> {
  const streams = new StreamsAt(ctx);
  const decisions: ReplayedDecision[] = [];
  let firstMismatch: ReplayMismatch | undefined;
  let state: CallState = INITIAL_CALL;
  for (const stored of decisionsOf(events)) {
    const base = {
      inputType: stored.input?.command.type ?? "",
      causationId: stored.causationId,
      firstStreamVersion: stored.events[0]!.streamVersion,
      eventCount: stored.events.length,
    };
    const recorded = stored.events.map(asCallEvent);
    const before = state;
    state = recorded.reduce(evolveCall, state);
    if (!stored.input) {
      decisions.push({ ...base, result: Result.RESULT_NOT_RECORDED, note: "no decision input recorded" });
      continue;
    }
    if (stored.input.reads.indexedGroups.length > 0) {
      decisions.push({
        ...base,
        result: Result.RESULT_NOT_REPLAYABLE,
        note: `chosen through the member index of ${stored.input.reads.indexedGroups.join(", ")}`,
      });
      continue;
    }
    let replayed: CallEvent[];
    try {
      // A read the log cannot give back is a difference; a failing database is not (it propagates).
      const context = await contextAt(streams, stored.input);
      replayed = [...decideCall(stored.input.command, before, context).call.events];
    } catch (error) {
      if (error instanceof Error && !(error instanceof ReadNotInLogError) && !isDomainRefusal(error))
        throw error;
      const note = `the ${base.inputType} could not be decided again: ${describe(error)}`;
      decisions.push({ ...base, result: Result.RESULT_MISMATCH, note });
      firstMismatch ??= ReplayMismatch.fromPartial({
        decision: decisions.length - 1,
        recorded: toRecordedEventPb(stored.events[0]!),
        description: note,
      });
      continue;
    }
    // As the store would keep them (JSON): what the replay decided, compared with what was recorded.
    const difference = compareDecision(recorded, JSON.parse(JSON.stringify(replayed)) as CallEvent[]);
    if (!difference) {
      decisions.push({ ...base, result: Result.RESULT_MATCH, note: "" });
      continue;
    }
    const at = stored.events[difference.index];
    const note = !difference.replayed
      ? `the replay decided ${replayed.length} events, ${recorded.length} were recorded: ${difference.recorded?.type} (version ${at?.streamVersion}) is missing`
      : !difference.recorded
        ? `the replay decided ${replayed.length} events, ${recorded.length} were recorded: it adds ${difference.replayed.type}`
        : difference.recorded.type !== difference.replayed.type
          ? `event ${difference.index + 1} of the decision: recorded ${difference.recorded.type}, replayed ${difference.replayed.type}`
          : `event ${difference.index + 1} of the decision (${difference.recorded.type}, version ${at?.streamVersion}) has different data`;
    decisions.push({ ...base, result: Result.RESULT_MISMATCH, note });
    firstMismatch ??= ReplayMismatch.fromPartial({
      decision: decisions.length - 1,
      ...(at ? { recorded: toRecordedEventPb(at) } : {}),
      replayedType: difference.replayed?.type ?? "",
      ...(difference.replayed ? { replayedData: difference.replayed.data as Record<string, unknown> } : {}),
      description: note,
    });
  }
  const outcome = firstMismatch
    ? Outcome.OUTCOME_MISMATCH
    : decisions.every((d) => d.result === Result.RESULT_MATCH)
      ? Outcome.OUTCOME_MATCH
      : Outcome.OUTCOME_INCOMPLETE;
  return ReplayCallResponse.fromPartial({ outcome, decisions, ...(firstMismatch ? { firstMismatch } : {}) });
}
