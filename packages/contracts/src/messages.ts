// The messages services exchange over JetStream, besides the EVENTS stream the relay fills. Logical names
// (the bus adds the deployment prefix). Every message is published with a message id for deduplication.
//
//   stream        subjects                 carries                                        consumed by
//   CALL_INPUTS   in.call.<callId>         inbound calls, leg facts, DTMF, admin commands  router (work queue)
//   LEG_COMMANDS  legcmd.<gatewayId>       what a media gateway must do with a leg         media-gateway
//   TIMERS        timer.<callId>           durable timers, nak-ed with a delay until due    router
//   AGENT_INPUTS  in.agent.<agentId>       sign in/out, breaks, wrap-up end                 agent-presence
import type { AgentState, CallCommand, LegCommand } from "@switchyard/routing-domain";

export const CALL_INPUTS = "CALL_INPUTS";
export const LEG_COMMANDS = "LEG_COMMANDS";
export const TIMERS = "TIMERS";
export const AGENT_INPUTS = "AGENT_INPUTS";

export const callInputSubject = (callId: string) => `in.call.${callId}`;
export const legCommandSubject = (gatewayId: string) => `legcmd.${gatewayId}`;
export const timerSubject = (callId: string) => `timer.${callId}`;
export const agentInputSubject = (agentId: string) => `in.agent.${agentId}`;

/**
 * The platform's work-queue streams as plain data (the bus's `StreamSpec` shape; the contracts know
 * nothing of the transport). A message leaves the stream once acked; the server's default duplicate window
 * (2 min) drops a repeated message id.
 */
export interface WorkStream {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly retention: "workqueue";
  readonly storage: "file";
  readonly description: string;
}

const workStream = (name: string, subject: string): WorkStream => ({
  name,
  subjects: [subject],
  retention: "workqueue",
  storage: "file",
  description: `work queue ${name}`,
});

export function workStreams(): WorkStream[] {
  return [
    workStream(CALL_INPUTS, "in.call.>"),
    workStream(LEG_COMMANDS, "legcmd.>"),
    workStream(TIMERS, "timer.>"),
    workStream(AGENT_INPUTS, "in.agent.>"),
  ];
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * An input to one call: the call decider's command without the router's clock reading (`now` is stamped by
 * the router that handles it, from the one injected clock) — except `at`, when the fact happened at the
 * source (a gateway's clock reading), which the router may use for reporting.
 */
export type CallInput = DistributiveOmit<CallCommand, "now" | "seed">;

export interface CallInputMessage {
  /** Unique per input; also the message id, and the causation id of the events it leads to. */
  readonly messageId: string;
  readonly callId: string;
  readonly input: CallInput;
  /** Epoch ms on the sender's clock. */
  readonly at: number;
  /** The gateway that owns the call's legs (where leg commands must go). */
  readonly gatewayId?: string;
}

export interface LegCommandMessage {
  /** Derived from the id of the event that caused it: a redelivered or re-published command is a no-op. */
  readonly commandId: string;
  readonly callId: string;
  readonly command: LegCommand;
  /** The call's caller leg, so that a gateway can tie it to the inbound channel it reported. */
  readonly callerLegId: string;
  readonly at: number;
}

export interface TimerMessage {
  readonly timerId: string;
  readonly callId: string;
  /** Epoch ms on the platform clock. */
  readonly dueAt: number;
  /**
   * Present: an agent's wrap-up end (the agent's `AgentCallEnded{wrapUpEndsAt}` for `callId`); firing sends
   * `EndWrapUp{callId}` to this agent instead of `TimerFired` to the call.
   */
  readonly agentId?: string;
  /**
   * With `agentId`: absent (or "wrapUpEnd") is the wrap-up end above; "cooldownEnd" is the end of the agent's
   * cooldown after a missed offer (`AgentReleased{cooldownUntil}`): firing offers the agent a queued caller.
   */
  readonly kind?: "wrapUpEnd" | "cooldownEnd";
}

export type AgentInput =
  | { readonly type: "SignIn" }
  | { readonly type: "SignOut" }
  | { readonly type: "StartBreak"; readonly reason?: string }
  | { readonly type: "EndBreak" }
  | { readonly type: "GoOffline" }
  | { readonly type: "EndWrapUp"; readonly callId: string };

export interface AgentInputMessage {
  readonly messageId: string;
  readonly agentId: string;
  readonly input: AgentInput;
  readonly at: number;
}

/**
 * The presence view agent-presence keeps in a JetStream KV bucket (one key per agent, see `presenceKey`) and
 * routers read. It may lag the agent stream; `version` is the agent stream version it reflects, which a
 * reservation must expect.
 */
export interface PresenceRecord {
  readonly agentId: string;
  readonly state: AgentState;
  readonly version: number;
  /** Platform time of the last event applied. */
  readonly updatedAt: number;
}

/** The presence KV bucket of a deployment (bus prefix). */
export const presenceBucket = (prefix: string): string => `${prefix}_presence`;

/** KV keys allow `[-_=.a-zA-Z0-9/]`; anything else in an agent id is escaped as `=hh`. */
export const presenceKey = (agentId: string): string =>
  agentId.replace(/[^-_a-zA-Z0-9]/g, (c) => `=${c.charCodeAt(0).toString(16)}`);

/** The stream of an uploaded audio file (written by the admin API, read by media gateways). */
export const audioStreamId = (audioId: string): string => `audio-${audioId}`;

/** An `AudioUploaded` event's data on an audio file's stream (an `AudioDeleted` event ends it). */
export interface AudioUploadedData {
  readonly audioId: string;
  readonly displayName: string;
  /** holdMusic, greeting or whisper. */
  readonly purpose: string;
  readonly format: "wav" | "mp3";
  readonly sizeBytes: number;
  /** Hex SHA-256 of the bytes. */
  readonly sha256: string;
  /** Platform time of the upload. */
  readonly at: number;
  /** The event store blob holding the bytes. */
  readonly blobId: string;
}

/**
 * The JSON payload of a message on the EVENTS stream (what the relay publishes; `Nats-Msg-Id` = `id`).
 * Positions are strings because they are bigints in the store. `data` is the domain event's data, as stored.
 */
export interface EventMessage {
  readonly id: string;
  readonly streamId: string;
  readonly version: number;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** ISO 8601. */
  readonly recordedAt: string;
  readonly position: string;
  readonly transactionId: string;
}
