import {
  agentStreamId,
  type CallCommand,
  type CallDecision,
  CONFIG_STREAM,
  type ConfigCommand,
  type DecisionContext,
  decideConfig,
  EMPTY_CONFIG,
  EXTERNAL_LEGS_STREAM,
  evolveConfig,
  groupStreamId,
  type LogEvent,
  queueStreamId,
  recordingContext,
} from "../../src/index.js";
import { World } from "./world.js";

type StreamEvent = { readonly type: string; readonly data: unknown };

/** As the event store keeps a value: JSON. */
const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * A World that also keeps the event log a router writes: every stream's events in version order, and each
 * call's events with the metadata a replay reads (one causation id per decision, the decision's recorded
 * input on its first event), all as JSON.
 */
export class LoggedWorld extends World {
  readonly streams = new Map<string, StreamEvent[]>();
  readonly callLogs = new Map<string, LogEvent[]>();
  #recorder: ReturnType<typeof recordingContext> | undefined;
  #decisions = 0;

  constructor(commands: readonly ConfigCommand[]) {
    super(commands);
    let state = EMPTY_CONFIG;
    const events: StreamEvent[] = [];
    for (const command of commands)
      for (const e of decideConfig(command, state)) {
        state = evolveConfig(state, e);
        events.push(stored(e));
      }
    this.streams.set(CONFIG_STREAM, events);
  }

  override ctx(): DecisionContext {
    this.#recorder = recordingContext(super.ctx());
    return this.#recorder.ctx;
  }

  override run(callId: string, command: CallCommand): CallDecision {
    const before = this.callState(callId).version;
    const decision = super.run(callId, command);
    const reads = this.#recorder!.reads();
    for (const w of decision.queues) this.#append(queueStreamId(w.groupId), w.events);
    for (const w of decision.groups) this.#append(groupStreamId(w.groupId), w.events);
    if (decision.externalLegs) this.#append(EXTERNAL_LEGS_STREAM, decision.externalLegs.events);
    const log = this.callLogs.get(callId) ?? [];
    const causationId = `decision-${++this.#decisions}`;
    decision.call.events.forEach((e, i) => {
      log.push({
        streamVersion: before + i + 1,
        type: e.type,
        data: stored(e.data),
        metadata: { causationId, ...(i === 0 ? { decisionInput: stored({ command, reads }) } : {}) },
      });
    });
    this.callLogs.set(callId, log);
    return decision;
  }

  /** Every stream's events: the agents' from the world's agent log, the others as decisions wrote them. */
  log(): Map<string, StreamEvent[]> {
    const out = new Map(this.streams);
    for (const { agentId, event } of this.agentEvents) {
      const id = agentStreamId(agentId);
      out.set(id, [...(out.get(id) ?? []), stored(event)]);
    }
    return out;
  }

  #append(streamId: string, events: readonly StreamEvent[]): void {
    this.streams.set(streamId, [...(this.streams.get(streamId) ?? []), ...events.map(stored)]);
  }
}
