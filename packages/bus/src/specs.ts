import { DEAD_LETTER_STREAM, EVENTS_STREAM } from "./naming.js";

/** A stream declaration in logical names; the bus prefixes the name and every subject. */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  /** `limits`: keep messages for every consumer; `workqueue`: a message is removed once acked. */
  readonly retention: "limits" | "workqueue";
  readonly storage?: "file" | "memory";
  /** Window in which a repeated `Nats-Msg-Id` is dropped. */
  readonly duplicateWindowMs?: number;
  readonly maxAgeMs?: number;
  readonly maxBytes?: number;
  readonly description?: string;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;

/** Every event appended to the store, published by the relay on `evt.<category>.<id>`. */
export function eventsStreamSpec(
  options: { duplicateWindowMs?: number; maxAgeMs?: number } = {},
): StreamSpec {
  return {
    name: EVENTS_STREAM,
    subjects: ["evt.>"],
    retention: "limits",
    storage: "file",
    duplicateWindowMs: options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
    ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
    description: "domain events relayed from the event store",
  };
}

/**
 * A work-queue stream (commands, durable timers): each message is handed to one consumer and removed when
 * acked. Timers are messages nak-ed with a delay until due (the server here has no scheduled messages).
 */
export function workQueueStreamSpec(name: string, subjects: readonly string[]): StreamSpec {
  return {
    name,
    subjects,
    retention: "workqueue",
    storage: "file",
    duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
    description: `work queue ${name}`,
  };
}

/** Where consumers put messages they gave up on (`dlq.<stream>.<durable>`), kept for inspection. */
export function deadLetterStreamSpec(): StreamSpec {
  return {
    name: DEAD_LETTER_STREAM,
    subjects: ["dlq.>"],
    retention: "limits",
    storage: "file",
    duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS,
    description: "messages consumers terminated, with the reason",
  };
}

/** A durable pull consumer with explicit acks. */
export interface ConsumerSpec {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject?: string;
  /** Deliveries before the server stops redelivering (the bus dead-letters on the last one). */
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  readonly maxAckPending?: number;
  /** Where a new consumer starts; ignored when it already exists. */
  readonly deliverPolicy?: "all" | "new";
}
