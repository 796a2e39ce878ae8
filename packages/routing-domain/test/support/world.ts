import {
  type AgentCommand,
  type AgentEvent,
  buildConfig,
  type CallCommand,
  type CallDecision,
  type CallEvent,
  type CallState,
  type ConfigCommand,
  type ConfigSnapshot,
  type DecisionContext,
  decideAgent,
  decideCall,
  EMPTY_EXTERNAL_LEGS,
  type ExternalLegsState,
  evolveAgent,
  evolveCall,
  evolveExternalLegs,
  evolveGroup,
  evolveQueue,
  type GroupViewEntry,
  INITIAL_AGENT,
  INITIAL_CALL,
  type PresenceEntry,
  type QueueViewEntry,
  type TimerKind,
} from "../../src/index.js";

export const T0 = Date.UTC(2026, 10, 24, 9, 0, 0);
export const sec = (n: number): number => T0 + n * 1000;

export { agentSpec, callSpec } from "../../src/testing/index.js";

export interface StepRecord {
  readonly command: CallCommand;
  readonly context: DecisionContext;
  readonly decision: CallDecision;
}

/**
 * A stand-in router: keeps every stream in memory, runs the call decider with the current views, checks the
 * expected versions like the event store would, and applies the decision to every stream it touches.
 */
export class World {
  config: ConfigSnapshot;
  presence: Record<string, PresenceEntry> = {};
  queues: Record<string, QueueViewEntry> = {};
  groups: Record<string, GroupViewEntry> = {};
  /** The account's external legs (only dialled under a capped dial policy). */
  externalLegs: { state: ExternalLegsState; version: number } = { state: EMPTY_EXTERNAL_LEGS, version: 0 };
  readonly calls = new Map<string, { state: CallState; events: CallEvent[]; steps: StepRecord[] }>();
  readonly agentEvents: Array<{ agentId: string; event: AgentEvent }> = [];

  constructor(configCommands: readonly ConfigCommand[]) {
    this.config = buildConfig(configCommands);
  }

  ctx(): DecisionContext {
    const legs = this.externalLegs;
    return {
      config: this.config,
      presence: this.presence,
      queues: this.queues,
      groups: this.groups,
      externalLegs: () => legs,
    };
  }

  agent(agentId: string, command: AgentCommand): AgentEvent[] {
    const entry = this.presence[agentId] ?? { state: INITIAL_AGENT, version: 0 };
    const events = decideAgent(command, entry.state);
    this.applyAgent(agentId, entry.version, events);
    return events;
  }

  signIn(agentIds: readonly string[], now = T0): void {
    for (const id of agentIds) this.agent(id, { type: "SignIn", now });
  }

  private applyAgent(agentId: string, expected: number, events: readonly AgentEvent[]): void {
    const entry = this.presence[agentId] ?? { state: INITIAL_AGENT, version: 0 };
    if (entry.version !== expected)
      throw new Error(`agent-${agentId}: expected v${expected}, is v${entry.version}`);
    let state = entry.state;
    for (const e of events) {
      state = evolveAgent(state, e);
      this.agentEvents.push({ agentId, event: e });
    }
    this.presence = { ...this.presence, [agentId]: { state, version: entry.version + events.length } };
  }

  callState(callId: string): CallState {
    return this.calls.get(callId)?.state ?? INITIAL_CALL;
  }

  events(callId: string): CallEvent[] {
    return [...(this.calls.get(callId)?.events ?? [])];
  }

  run(callId: string, command: CallCommand): CallDecision {
    const call = this.calls.get(callId) ?? { state: INITIAL_CALL, events: [], steps: [] };
    const context = this.ctx();
    const decision = decideCall(command, call.state, context);
    if (decision.call.expectedVersion !== call.state.version) throw new Error("call version mismatch");
    for (const w of decision.agents) this.applyAgent(w.agentId, w.expectedVersion, w.events);
    for (const w of decision.queues) {
      const entry = this.queues[w.groupId] ?? { state: { entries: [] }, version: 0 };
      if (entry.version !== w.expectedVersion) throw new Error(`queue-${w.groupId} version mismatch`);
      this.queues = {
        ...this.queues,
        [w.groupId]: {
          state: w.events.reduce(evolveQueue, entry.state),
          version: entry.version + w.events.length,
        },
      };
    }
    for (const w of decision.groups) {
      const entry = this.groups[w.groupId] ?? { state: {}, version: 0 };
      if (entry.version !== w.expectedVersion) throw new Error(`group-${w.groupId} version mismatch`);
      this.groups = {
        ...this.groups,
        [w.groupId]: {
          state: w.events.reduce(evolveGroup, entry.state),
          version: entry.version + w.events.length,
        },
      };
    }
    if (decision.externalLegs) {
      if (decision.externalLegs.expectedVersion !== this.externalLegs.version)
        throw new Error("external legs version mismatch");
      this.externalLegs = {
        state: decision.externalLegs.events.reduce(evolveExternalLegs, this.externalLegs.state),
        version: this.externalLegs.version + decision.externalLegs.events.length,
      };
    }
    call.state = decision.call.events.reduce(evolveCall, call.state);
    call.events.push(...decision.call.events);
    call.steps.push({ command, context, decision });
    this.calls.set(callId, call);
    return decision;
  }

  start(callId: string, from: string, to: string, now = T0, seed?: string): CallDecision {
    return this.run(callId, { type: "StartCall", callId, from, to, now, ...(seed ? { seed } : {}) });
  }

  /** The leg most recently originated to an agent (or to any target when agentId is omitted). */
  legOf(callId: string, agentId?: string): string {
    const legs = this.events(callId).filter(
      (e): e is Extract<CallEvent, { type: "LegOriginateRequested" }> =>
        e.type === "LegOriginateRequested" && (agentId === undefined || e.data.agentId === agentId),
    );
    const last = legs.at(-1);
    if (!last) throw new Error(`no leg for ${agentId ?? "any target"} in call ${callId}`);
    return last.data.legId;
  }

  legsRung(callId: string): string[] {
    return this.events(callId).flatMap((e) =>
      e.type === "LegOriginateRequested" && e.data.agentId ? [e.data.agentId] : [],
    );
  }

  timer(callId: string, kind: TimerKind): string {
    const entry = Object.entries(this.callState(callId).timers).find(([, t]) => t.kind === kind);
    if (!entry) throw new Error(`no active ${kind} timer in call ${callId}`);
    return entry[0];
  }

  /** The playback id of the last playback (greeting, prompt, whisper) started on the call. */
  lastPlayback(callId: string): string {
    const p = this.events(callId)
      .filter((e) => e.type === "PlaybackStarted" || e.type === "WhisperRequested")
      .at(-1);
    if (!p || (p.type !== "PlaybackStarted" && p.type !== "WhisperRequested")) throw new Error("no playback");
    return p.data.playbackId;
  }

  status(agentId: string): string {
    return this.presence[agentId]?.state.status ?? "signedOut";
  }
}

/** A standard account: four agents, groups per strategy, numbers wired to flows built by the test. */
export const AGENTS: ConfigCommand[] = [
  { type: "DefineAgent", agentId: "ann", name: "Ann", contact: { kind: "phone", number: "+14155550101" } },
  { type: "DefineAgent", agentId: "bob", name: "Bob", contact: { kind: "phone", number: "+14155550102" } },
  {
    type: "DefineAgent",
    agentId: "cid",
    name: "Cid",
    contact: { kind: "sip", uri: "sip:cid@pbx.example.com" },
  },
  { type: "DefineAgent", agentId: "dee", name: "Dee", contact: { kind: "phone", number: "+14155550104" } },
];

export const BUSINESS = "+14155550000";
export const CALLER = "+442071838750";
