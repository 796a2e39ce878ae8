// ReplayCall: each of a call's decisions re-decided from its recorded input. The router stores, with a
// decision's call events, the command and the version of every stream the decision read (event metadata
// `decisionInput`); the routing domain's replayCallDecisions rebuilds the context from the log at exactly
// those versions and compares (the same code the invariant checker runs). Here the streams it needs are
// read from the store first. Reads only: nothing is appended or sent.
import {
  ReplayCallResponse_Outcome as Outcome,
  ReplayCallResponse,
  type ReplayedDecision,
  ReplayMismatch,
  ReplayedDecision_Result as Result,
} from "@switchyard/admin-proto";
import type { RecordedEvent } from "@switchyard/event-store";
import {
  ReplayLog,
  type ReplayResult,
  replayCallDecisions,
  storedDecisions,
  streamsReadBy,
} from "@switchyard/routing-domain";
import { toRecordedEventPb } from "./calls.js";
import type { ApiContext } from "./context.js";

const RESULTS: Record<ReplayResult, Result> = {
  match: Result.RESULT_MATCH,
  mismatch: Result.RESULT_MISMATCH,
  "not-recorded": Result.RESULT_NOT_RECORDED,
  "not-replayable": Result.RESULT_NOT_REPLAYABLE,
};

/** Re-decides every recorded decision of the call (whose events are given) and compares. */
export async function replayCall(
  ctx: ApiContext,
  events: readonly RecordedEvent[],
): Promise<ReplayCallResponse> {
  // Every stream the decisions read, once each (a failing database propagates).
  const ids = streamsReadBy(storedDecisions(events));
  const streams = new Map(
    await Promise.all(ids.map(async (id) => [id, await ctx.store.readStream(id)] as const)),
  );
  const outcomes = replayCallDecisions(events, new ReplayLog((id) => streams.get(id)));
  const decisions: ReplayedDecision[] = [];
  let firstMismatch: ReplayMismatch | undefined;
  for (const o of outcomes) {
    const stored = o.decision;
    decisions.push({
      inputType: stored.input?.command.type ?? "",
      causationId: stored.causationId,
      firstStreamVersion: stored.events[0]!.streamVersion,
      eventCount: stored.events.length,
      result: RESULTS[o.result],
      note: o.note,
    });
    if (o.result !== "mismatch" || firstMismatch) continue;
    const at = stored.events[o.difference?.index ?? 0];
    const replayed = o.difference?.replayed;
    firstMismatch = ReplayMismatch.fromPartial({
      decision: decisions.length - 1,
      ...(at ? { recorded: toRecordedEventPb(at) } : {}),
      replayedType: replayed?.type ?? "",
      ...(replayed ? { replayedData: replayed.data as Record<string, unknown> } : {}),
      description: o.note,
    });
  }
  const outcome = firstMismatch
    ? Outcome.OUTCOME_MISMATCH
    : decisions.every((d) => d.result === Result.RESULT_MATCH)
      ? Outcome.OUTCOME_MATCH
      : Outcome.OUTCOME_INCOMPLETE;
  return ReplayCallResponse.fromPartial({ outcome, decisions, ...(firstMismatch ? { firstMismatch } : {}) });
}
