// A log written the way the platform writes it, without the platform: the chaos centre's configuration
// events (contact-centre's configEventsFor), agents signed in by the agent decider, and call decisions taken
// by decideCall through the recording context, each appended with its causation id and, on its first call
// event, the decision input the router records. So the checker's replay has real decisions to re-decide.
import { configEventsFor, parseContactCentre } from "@switchyard/contact-centre";
import {
  type AgentState,
  agentStreamId,
  type CallCommand,
  CONFIG_STREAM,
  type ConfigSnapshot,
  decideAgent,
  decideCall,
  decisionWrites,
  EMPTY_CONFIG,
  EMPTY_QUEUE,
  evolveAgent,
  evolveCall,
  evolveConfig,
  evolveGroup,
  evolveQueue,
  type GroupRuntimeState,
  groupStreamId,
  INITIAL_AGENT,
  INITIAL_CALL,
  type QueueState,
  queueStreamId,
  recordingContext,
} from "@switchyard/routing-domain";
import { chaosCentre } from "../src/centre.js";
import type { LoggedEvent, RelayedEvent } from "../src/checker.js";

export class RecordedLog {
  readonly events: LoggedEvent[] = [];
  readonly config: ConfigSnapshot;
  readonly numbers: readonly string[];
  readonly agentIds: readonly string[];
  #tx = 0;
  #ids = 0;

  constructor(agentsPerGroup = 2) {
    const centre = chaosCentre(agentsPerGroup);
    const cc = parseContactCentre(centre.yaml, "chaos.yaml");
    const configEvents = configEventsFor(cc, EMPTY_CONFIG);
    this.append([{ streamId: CONFIG_STREAM, events: configEvents }], "config");
    this.config = configEvents.reduce(evolveConfig, EMPTY_CONFIG);
    this.numbers = centre.numbers;
    this.agentIds = centre.agentIds;
  }

  stream(streamId: string): LoggedEvent[] {
    return this.events.filter((e) => e.streamId === streamId);
  }

  /** One atomic append: every write's events, with the cause, the decision input on the first call event. */
  append(
    writes: ReadonlyArray<{ streamId: string; events: ReadonlyArray<{ type: string; data: unknown }> }>,
    cause: string,
    decisionInput?: unknown,
  ): void {
    const tx = BigInt(++this.#tx);
    for (const w of writes) {
      let version = this.stream(w.streamId).length;
      w.events.forEach((e, i) => {
        const first = i === 0 && w.streamId.startsWith("call-") && decisionInput !== undefined;
        this.events.push({
          streamId: w.streamId,
          streamVersion: ++version,
          type: e.type,
          data: JSON.parse(JSON.stringify(e.data)),
          metadata: { causationId: cause, ...(first ? { decisionInput } : {}) },
          transactionId: tx,
          eventId: `evt-${++this.#ids}`,
        });
      });
    }
  }

  signIn(agentId: string): void {
    const state = this.#fold(agentStreamId(agentId), INITIAL_AGENT, evolveAgent as never);
    this.append(
      [{ streamId: agentStreamId(agentId), events: decideAgent({ type: "SignIn", now: 0 }, state.state) }],
      `signin-${agentId}`,
    );
  }

  #fold<S>(streamId: string, initial: S, evolve: (s: S, e: never) => S): { state: S; version: number } {
    const events = this.stream(streamId);
    return {
      state: events.reduce((s, e) => evolve(s, { type: e.type, data: e.data } as never), initial),
      version: events.length,
    };
  }

  /** decideCall on the log as it is, through the recording context, appended as the router appends it. */
  decide(callId: string, command: CallCommand, cause: string): void {
    const call = this.#fold(`call-${callId}`, INITIAL_CALL, evolveCall as never);
    const groupIds = Object.keys(this.config.groups);
    const recording = recordingContext({
      config: this.config,
      presence: Object.fromEntries(
        this.agentIds.map((a) => [
          a,
          this.#fold<AgentState>(agentStreamId(a), INITIAL_AGENT, evolveAgent as never),
        ]),
      ),
      queues: Object.fromEntries(
        groupIds.map((g) => [g, this.#fold<QueueState>(queueStreamId(g), EMPTY_QUEUE, evolveQueue as never)]),
      ),
      groups: Object.fromEntries(
        groupIds.map((g) => [g, this.#fold<GroupRuntimeState>(groupStreamId(g), {}, evolveGroup as never)]),
      ),
    });
    const decision = decideCall(command, call.state, recording.ctx);
    this.append(decisionWrites(decision), cause, { command, reads: recording.reads() });
  }

  /** The EVENTS stream as the relay fills it: every event once, in log order, message id = event id. */
  relayed(): RelayedEvent[] {
    return this.events.map((e, i) => ({
      streamSequence: i + 1,
      msgId: e.eventId,
      id: e.eventId,
      streamId: e.streamId,
      version: e.streamVersion,
    }));
  }
}

/** Every agent signed in; a call to the longest-idle group's number routed to an agent, then hung up. */
export function routedAndHungUp(): { log: RecordedLog; callId: string } {
  const log = new RecordedLog();
  for (const a of log.agentIds) log.signIn(a);
  const callId = "c1";
  const to = log.numbers[1] as string;
  log.decide(callId, { type: "StartCall", callId, from: "+15550001", to, now: 1_000 }, "start-c1");
  log.decide(callId, { type: "HangUp", reason: "caller hung up", now: 5_000 }, "hangup-c1");
  return { log, callId };
}
