// One call input → one decision: the wiring of the decision runtime for the CALL_INPUTS consumer.
import { deliveryOf, TransientError } from "@switchyard/bus";
import { type Clock, isVirtualClock } from "@switchyard/clock";
import type { CallInputMessage } from "@switchyard/contracts";
import type { Decision, DecisionView, StreamCache, Write } from "@switchyard/decision-runtime";
import {
  agentIdOfStream,
  type CallCommand,
  type CallEvent,
  CallNotFoundError,
  CallNotQueuedError,
  type CallState,
  callStreamId,
  type DecisionContext,
  decideCall,
  decisionWrites,
  evolveCall,
  NoAgentForQueueOfferError,
  type RecordedDecisionInput,
  RoutingDomainError,
  recordingContext,
} from "@switchyard/routing-domain";
import { type CallView, type ConfigSource, callContext } from "./decision-context.js";
import { callEffects } from "./effects.js";
import { describe, type RouterLog } from "./log.js";
import type { PresenceView } from "./presence-view.js";

/** A domain refusal of a gateway or admin input (unknown number, a fact for a call that never started…). */
export class CallInputRefusedError extends Error {
  override readonly name = "CallInputRefusedError";
}

export interface CallDecisionStats {
  replays: number;
  verifications: number;
  noops: number;
}

/**
 * How long (real time) an input for a call that has not started yet is redelivered before it is
 * dead-lettered. A gateway publishes a call's StartCall before its other facts, but the StartCall can still
 * be decided after them: its append failed (or conflicted too often) and it is redelivered later, while the
 * caller's HangUp right behind it is decided at once. Within this window the fact waits for its StartCall
 * (default back-off: about 27 redeliveries, under the call inputs' `maxDeliver` of 50, ~21 min); older, it is
 * a fact for a call that will never start. The age counts from the fact's publication, so the window must
 * outlast any backlog: at 60 s, a HangUp reaching a router more than a minute after it was published, its
 * StartCall still queued, would be dead-lettered and its call never end (a chaos run at overload, start
 * latency up to 2 min, left 68 calls unended; this is the likely cause, not proven).
 */
export const AWAIT_START_REAL_MS = 600_000;

/**
 * On a virtual clock platform time stands still while an input waits unacknowledged (its age is always 0),
 * so the window is counted in deliveries instead: ~13 s of real back-off, during which nothing else moves.
 */
export const AWAIT_START_VIRTUAL_DELIVERIES = 8;

/** Domain refusals of inputs that are routinely stale by the time they arrive (offers to a call no longer waiting, an agent taken meanwhile). */
const routineRefusal = (input: CallInputMessage["input"], err: unknown): boolean =>
  input.type === "OfferAgent" || input.type === "QueueChanged" || err instanceof CallNotQueuedError;

export interface CallDecider {
  decide(msg: CallInputMessage, view: DecisionView): Promise<Decision>;
  /** Before each round: refresh the config for new calls, read uncached call streams in parallel. */
  beforeRound(inputs: readonly CallInputMessage[]): Promise<void>;
}

export function callDecider(deps: {
  readonly cache: StreamCache;
  readonly config: ConfigSource;
  readonly presence: PresenceView;
  readonly clock: Clock;
  readonly defaultGateway: string;
  readonly stats: CallDecisionStats;
  readonly log: RouterLog;
}): CallDecider {
  const { cache, config, presence, clock, defaultGateway, stats, log } = deps;
  /** Agents whose streams were read to verify an unavailable view in this round. */
  const readThisRound = new Set<string>();

  async function decide(msg: CallInputMessage, view: DecisionView): Promise<Decision> {
    const streamId = callStreamId(msg.callId);
    const { state: callView } = await view.load<CallView>(
      streamId,
      msg.input.type === "StartCall" ? { assumeNew: true } : {},
    );
    const address = (call: CallState) => ({
      callId: msg.callId,
      callerLegId: call.callerLegId,
      gatewayId: callView.gatewayId ?? msg.gatewayId ?? defaultGateway,
    });
    const already = callView.events.filter((e) => e.causationId === msg.messageId);
    if (already.length > 0) {
      // Redelivered after its decision was stored: only make sure its effects went out.
      stats.replays++;
      return { kind: "noop", effects: callEffects(clock, address(callView.call), already) };
    }
    const cfg = await config.atLeast(callView.call.configVersion, Number.POSITIVE_INFINITY);
    const staleAgents = new Set<string>();
    /** Reads the agents the view shows unavailable from their streams; false when there are none. */
    const readUnavailable = async (agentIds: ReadonlySet<string>, ctx: DecisionContext): Promise<boolean> => {
      const unavailable = [...agentIds].filter((a) => ctx.presence[a]?.state.status !== "available");
      if (unavailable.length === 0) return false;
      stats.verifications++;
      // Read once per round: the other decisions of the round see the same moment (and this round's own
      // reservations through the batch).
      const toRead = unavailable.filter((a) => !readThisRound.has(a));
      await Promise.all(toRead.map((a) => cache.load(`agent-${a}`, { fresh: true })));
      for (const a of unavailable) {
        readThisRound.add(a);
        staleAgents.add(a);
      }
      return true;
    };
    for (let verified = false; ; verified = true) {
      const { ctx, agentIds } = await callContext(
        cache,
        presence,
        view,
        callView.call,
        msg.input,
        cfg,
        staleAgents,
      );
      const command = { ...msg.input, now: view.now } as CallCommand;
      // What the decision reads is recorded with its events, so that it can be replayed (admin ReplayCall).
      const recording = recordingContext(ctx);
      let decision: ReturnType<typeof decideCall>;
      try {
        decision = decideCall(command, callView.call, recording.ctx);
      } catch (err) {
        if (!(err instanceof RoutingDomainError)) throw err;
        // A queued caller's offer found nobody free: the freed agent may only look busy in a lagging view.
        if (!verified && err instanceof NoAgentForQueueOfferError && (await readUnavailable(agentIds, ctx)))
          continue;
        const awaitingStart = isVirtualClock(clock)
          ? (deliveryOf(msg)?.info.deliveryCount ?? 1) < AWAIT_START_VIRTUAL_DELIVERIES
          : clock.realDelay(view.now - msg.at) < AWAIT_START_REAL_MS;
        if (err instanceof CallNotFoundError && awaitingStart) {
          // Transient (the bus redelivers it with its back-off); the cause says why.
          throw new TransientError(
            `${msg.input.type} for call ${msg.callId} before its StartCall was decided: redelivered later`,
            { cause: err },
          );
        }
        const routine = routineRefusal(msg.input, err);
        if (routine)
          log("debug", "input refused", { callId: msg.callId, input: msg.input.type, error: describe(err) });
        const reason = `${msg.input.type} refused for call ${msg.callId}: ${describe(err)}`;
        return {
          kind: "refused",
          error: new CallInputRefusedError(reason, { cause: err }),
          deadLetter: !routine,
        };
      }
      const writes = decisionWrites(decision);
      if (writes.length === 0) {
        stats.noops++;
        return { kind: "noop" };
      }
      const callEvents = decision.call.events;
      if (!verified && callEvents.some((e) => e.type === "RoutingDecided" && e.data.legs.length === 0)) {
        // Nobody could be offered the call: before queueing or falling back, make sure that is not just the
        // presence view lagging (an agent freed a moment ago) by reading the unavailable agents' streams.
        if (await readUnavailable(agentIds, ctx)) continue;
      }
      const gatewayId = callView.gatewayId ?? msg.gatewayId;
      const decisionInput: RecordedDecisionInput = { command, reads: recording.reads() };
      const out: Write[] = writes.map((w) => ({
        streamId: w.streamId,
        expectedVersion: w.expectedVersion,
        events: w.events,
        metadata: {
          correlationId: msg.callId,
          ...(w.streamId === streamId && gatewayId ? { gatewayId } : {}),
        },
        ...(w.streamId === streamId ? { firstEventMetadata: { decisionInput } } : {}),
        // Agents are decided on the presence the context gave (the view, or the agent's own stream).
        ...(agentIdOfStream(w.streamId) !== undefined
          ? { base: ctx.presence[agentIdOfStream(w.streamId) as string] }
          : {}),
      }));
      return {
        kind: "write",
        writes: out,
        effects: (committed) => {
          const ids = committed.events(streamId).map((e) => e.eventId);
          const after =
            committed.state<CallView>(streamId)?.call ??
            callEvents.reduce<CallState>(evolveCall, callView.call);
          return callEffects(
            clock,
            { ...address(after), gatewayId: gatewayId ?? defaultGateway },
            callEvents.map((event: CallEvent, i) => ({ eventId: ids[i]!, event })),
          );
        },
      };
    }
  }

  async function beforeRound(inputs: readonly CallInputMessage[]): Promise<void> {
    readThisRound.clear();
    const reads: Array<Promise<unknown>> = [];
    if (inputs.some((m) => m.input.type === "StartCall")) reads.push(config.refresh());
    else reads.push(config.atLeast(0));
    for (const m of inputs) {
      const id = callStreamId(m.callId);
      if (m.input.type !== "StartCall" && !cache.cached(id)) reads.push(cache.load(id));
    }
    await Promise.all(reads);
  }

  return { decide, beforeRound };
}
