import {
  decideExternalLegs,
  EXTERNAL_LEGS_STREAM,
  type ExternalLegsCommand,
  type ExternalLegsEvent,
  type ExternalLegsState,
  evolveExternalLegs,
} from "../account/external-legs.js";
import {
  type AgentCommand,
  type AgentEvent,
  type AgentState,
  agentStreamId,
  decideAgent,
  evolveAgent,
  INITIAL_AGENT,
} from "../agent/agent.js";
import {
  decideQueue,
  EMPTY_QUEUE,
  evolveQueue,
  type QueueCommand,
  type QueueEvent,
  type QueueState,
  queueStreamId,
} from "../queue/queue.js";
import { periodKey } from "../shared/period.js";
import {
  evolveGroup,
  type GroupEvent,
  type GroupRuntimeState,
  groupStreamId,
} from "../strategies/group-state.js";
import { evolveCall } from "./evolve.js";
import {
  type CallDecision,
  type CallEvent,
  type CallState,
  callStreamId,
  type DecisionContext,
} from "./types.js";

/**
 * How an applet hands the call on: to another applet of the flow (`undefined`: the flow ends) and how the
 * current applet lets go when the call ends. Given to the builder by the call's decider so that applets reach
 * the flow runner without importing it (the runner imports every applet).
 */
export interface FlowPort {
  goTo(b: DecisionBuilder, appletId: string | undefined, endReason?: string): void;
  leave(b: DecisionBuilder, reason: string): void;
}

interface Pending<S, E> {
  readonly expectedVersion: number;
  state: S;
  readonly events: E[];
}

/**
 * Accumulates one decision. Every call event is applied to the working state as it is emitted, and every
 * agent/queue/group event to a working copy of that stream, so later steps of the same decision see earlier
 * ones (an agent reserved a moment ago is not reserved again).
 */
export class DecisionBuilder {
  state: CallState;
  readonly events: CallEvent[] = [];
  /** Applets entered in this decision: bounds a runaway flow even if validation was bypassed. */
  hops = 0;
  private counter = 0;
  private readonly baseVersion: number;
  private readonly agents = new Map<string, Pending<AgentState, AgentEvent>>();
  private readonly queues = new Map<string, Pending<QueueState, QueueEvent>>();
  private readonly groups = new Map<string, Pending<GroupRuntimeState, GroupEvent>>();
  private externalLegs: Pending<ExternalLegsState, ExternalLegsEvent> | undefined;

  constructor(
    initial: CallState,
    readonly ctx: DecisionContext,
    readonly now: number,
    readonly seed: string,
    private readonly flow: FlowPort,
  ) {
    this.state = initial;
    this.baseVersion = initial.version;
  }

  /** Enters an applet of the call's flow; `undefined` (no branch) ends the call with `endReason`. */
  goTo(appletId: string | undefined, endReason?: string): void {
    this.flow.goTo(this, appletId, endReason);
  }

  /** The current applet lets go of what it holds (a queue place, a recording) as the call ends. */
  leaveApplet(reason: string): void {
    this.flow.leave(this, reason);
  }

  emit(...events: CallEvent[]): void {
    for (const e of events) {
      const before = this.state;
      this.events.push(e);
      this.state = evolveCall(this.state, e);
      this.#countExternalLegEnd(before, e);
    }
  }

  /**
   * Under capped dialling, an external leg stops counting when it ends, and every one of the call's when the
   * call ends: here, where every leg and call end passes, so no path can leave a slot taken. No check before
   * the decider: LegEnded is emitted once per leg (legEnded() and afterEnd() skip a leg already ended), and the
   * decider ends only the legs it counts, so an uncapped account, a SIP leg or a call with no leg to a number
   * changes nothing.
   */
  #countExternalLegEnd(before: CallState, e: CallEvent): void {
    if (e.type === "LegEnded") {
      const number = before.legs[e.data.legId]?.phoneNumber;
      if (number !== undefined)
        this.externalLegsCommand({ type: "EndExternalLeg", callId: before.callId, number, now: this.now });
    } else if (e.type === "CallEnded") {
      this.externalLegsCommand({ type: "EndCallExternalLegs", callId: before.callId, now: this.now });
    }
  }

  /** Runs the external-legs decider on the account's working state (capped dialling only); errors propagate. */
  externalLegsCommand(command: ExternalLegsCommand): ExternalLegsEvent[] {
    const entry = this.ctx.externalLegs?.();
    if (!entry) return [];
    const events = decideExternalLegs(command, this.externalLegs?.state ?? entry.state);
    if (events.length === 0) return events;
    if (!this.externalLegs)
      this.externalLegs = { expectedVersion: entry.version, state: entry.state, events: [] };
    for (const e of events) {
      this.externalLegs.events.push(e);
      this.externalLegs.state = evolveExternalLegs(this.externalLegs.state, e);
    }
    return events;
  }

  /** Ids are derived from the call stream version the decision started at: deterministic and unique. */
  newId(kind: string, callId = this.state.callId): string {
    this.counter++;
    return `${callId}:${kind}-${this.baseVersion}.${this.counter}`;
  }

  #periodKey: string | undefined;

  /** The account's calls period at this decision's instant (read once: a strategy asks per member). */
  get periodKey(): string {
    if (this.#periodKey === undefined) {
      const { timeZone, callsPeriod } = this.ctx.config.account;
      this.#periodKey = periodKey(this.now, timeZone, callsPeriod);
    }
    return this.#periodKey;
  }

  agentState(agentId: string): AgentState {
    return this.agents.get(agentId)?.state ?? this.ctx.presence[agentId]?.state ?? INITIAL_AGENT;
  }

  /** Runs the agent decider on the agent's working state; its typed errors propagate. */
  agentCommand(agentId: string, command: AgentCommand): AgentEvent[] {
    let pending = this.agents.get(agentId);
    const events = decideAgent(command, pending?.state ?? this.agentState(agentId));
    if (events.length === 0) return events;
    if (!pending) {
      const entry = this.ctx.presence[agentId];
      pending = { expectedVersion: entry?.version ?? 0, state: entry?.state ?? INITIAL_AGENT, events: [] };
      this.agents.set(agentId, pending);
    }
    for (const e of events) {
      pending.events.push(e);
      pending.state = evolveAgent(pending.state, e);
    }
    return events;
  }

  queueState(groupId: string): QueueState {
    return this.queues.get(groupId)?.state ?? this.ctx.queues[groupId]?.state ?? EMPTY_QUEUE;
  }

  queueCommand(groupId: string, command: QueueCommand): QueueEvent[] {
    const events = decideQueue(command, this.queueState(groupId));
    if (events.length === 0) return events;
    let pending = this.queues.get(groupId);
    if (!pending) {
      const entry = this.ctx.queues[groupId];
      pending = { expectedVersion: entry?.version ?? 0, state: entry?.state ?? EMPTY_QUEUE, events: [] };
      this.queues.set(groupId, pending);
    }
    for (const e of events) {
      pending.events.push(e);
      pending.state = evolveQueue(pending.state, e);
    }
    return events;
  }

  groupState(groupId: string): GroupRuntimeState {
    return this.groups.get(groupId)?.state ?? this.ctx.groups[groupId]?.state ?? {};
  }

  groupEvent(groupId: string, event: GroupEvent): void {
    let pending = this.groups.get(groupId);
    if (!pending) {
      const entry = this.ctx.groups[groupId];
      pending = { expectedVersion: entry?.version ?? 0, state: entry?.state ?? {}, events: [] };
      this.groups.set(groupId, pending);
    }
    pending.events.push(event);
    pending.state = evolveGroup(pending.state, event);
  }

  decision(): CallDecision {
    return {
      call: {
        streamId: callStreamId(this.state.callId),
        expectedVersion: this.baseVersion,
        events: this.events,
      },
      agents: [...this.agents].map(([agentId, p]) => ({
        agentId,
        streamId: agentStreamId(agentId),
        expectedVersion: p.expectedVersion,
        events: p.events,
      })),
      queues: [...this.queues].map(([groupId, p]) => ({
        groupId,
        streamId: queueStreamId(groupId),
        expectedVersion: p.expectedVersion,
        events: p.events,
      })),
      groups: [...this.groups].map(([groupId, p]) => ({
        groupId,
        streamId: groupStreamId(groupId),
        expectedVersion: p.expectedVersion,
        events: p.events,
      })),
      ...(this.externalLegs
        ? {
            externalLegs: {
              streamId: EXTERNAL_LEGS_STREAM,
              expectedVersion: this.externalLegs.expectedVersion,
              events: this.externalLegs.events,
            },
          }
        : {}),
    };
  }
}
