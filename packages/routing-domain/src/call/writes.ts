import type { CallDecision, CallState, StreamWrite } from "./types.js";

/** A decision as the list of stream writes for one atomic append: the call first, then agents, queues, groups. */
export function decisionWrites(
  decision: CallDecision,
): Array<StreamWrite<{ readonly type: string; readonly data: unknown }>> {
  return [
    decision.call,
    ...decision.agents,
    ...decision.queues,
    ...decision.groups,
    ...(decision.externalLegs ? [decision.externalLegs] : []),
  ]
    .filter((w) => w.events.length > 0)
    .map(({ streamId, expectedVersion, events }) => ({ streamId, expectedVersion, events }));
}

/** Agents the call currently holds (on legs that are up or ringing): their presence must be in the context. */
export function agentsHeldBy(state: CallState): string[] {
  return Object.values(state.legs)
    .filter(
      (l) =>
        l.agentId !== undefined &&
        (l.status === "originating" || l.status === "ringing" || l.status === "answered"),
    )
    .map((l) => l.agentId!)
    .sort();
}
