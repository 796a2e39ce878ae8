// Reading the JetStream EVENTS stream for the checker, through the bus (the only package that speaks NATS).
// The bus offers durable consumers only: the reader declares a temporary one of its own (`check_<random>`)
// from the first message, acknowledges what it reads (acks on a limits stream remove nothing) and deletes the
// consumer when done. The stream itself is not changed.
import { randomBytes } from "node:crypto";
import {
  type Bus,
  type ConsumerHandle,
  DEAD_LETTER_STREAM,
  type DeadLetter,
  type DeliveryInfo,
  EVENTS_STREAM,
} from "@switchyard/bus";
import type { RelayedEvent } from "./checker.js";
import { EventsStreamReadError } from "./errors.js";

/** What the checker keeps of a message (never throws: an odd payload is the checker's to report). */
function relayed(payload: unknown, streamSequence: number, msgId: string | undefined): RelayedEvent {
  const p = (typeof payload === "object" && payload !== null ? payload : {}) as Record<string, unknown>;
  return {
    streamSequence,
    msgId,
    id: typeof p.id === "string" ? p.id : undefined,
    streamId: typeof p.streamId === "string" ? p.streamId : undefined,
    version: typeof p.version === "number" ? p.version : undefined,
  };
}

/** A running read of EVENTS: messages collect as they arrive, from the first. */
export class EventsStreamReader {
  readonly #messages = new Map<number, RelayedEvent>();
  readonly #ids = new Set<string>();
  #lastArrival = performance.now();

  private constructor(
    private readonly bus: Bus,
    readonly durable: string,
    private readonly handle: ConsumerHandle,
  ) {}

  static async start(bus: Bus): Promise<EventsStreamReader> {
    let reader: EventsStreamReader | undefined;
    const early: RelayedEvent[] = [];
    const { durable, handle } = await temporaryConsumer(bus, EVENTS_STREAM, (payload, info) => {
      const r = relayed(payload, info.streamSequence, info.msgId);
      if (reader) reader.#add(r);
      else early.push(r);
    });
    reader = new EventsStreamReader(bus, durable, handle);
    for (const r of early) reader.#add(r);
    return reader;
  }

  #add(r: RelayedEvent): void {
    this.#lastArrival = performance.now();
    // A redelivery of one stream sequence is the same message, not a duplicate.
    this.#messages.set(r.streamSequence, r);
    if (r.id) this.#ids.add(r.id);
  }

  /** True once every id has arrived. */
  holds(ids: Iterable<string>): boolean {
    for (const id of ids) if (!this.#ids.has(id)) return false;
    return true;
  }

  /** Resolves once nothing has arrived for `idleMs` (the consumer has caught up with the stream). */
  async idle(idleMs: number): Promise<void> {
    for (;;) {
      const quiet = performance.now() - this.#lastArrival;
      if (quiet >= idleMs) return;
      await new Promise((r) => setTimeout(r, idleMs - quiet + 10));
    }
  }

  messages(): RelayedEvent[] {
    return [...this.#messages.values()].sort((a, b) => a.streamSequence - b.streamSequence);
  }

  /** Stops reading and deletes the temporary consumer. */
  async close(): Promise<void> {
    await this.handle.stop().catch(() => undefined);
    await this.bus.deleteConsumer(EVENTS_STREAM, this.durable).catch(() => undefined);
  }
}

/**
 * A durable consumer of the whole stream from its first message, of this reader's own (the bus offers only
 * durable ones), acknowledging everything it is handed.
 */
async function temporaryConsumer(
  bus: Bus,
  stream: string,
  onMessage: (payload: unknown, info: DeliveryInfo) => void,
): Promise<{ durable: string; handle: ConsumerHandle }> {
  const durable = `check_${randomBytes(6).toString("hex")}`;
  try {
    const handle = await bus.consumeBatches<unknown>({
      stream,
      durable,
      deliverPolicy: "all",
      ackWaitMs: 60_000,
      maxDeliver: 1_000,
      maxAckPending: 20_000,
      maxBatch: 2_000,
      // Keeps any payload: an undecodable one would otherwise be dead-lettered (a write).
      decode: (json) => json,
      handler: async (batch) => {
        for (const m of batch) onMessage(m.payload, m.info);
        return batch.map(() => undefined);
      },
    });
    return { durable, handle };
  } catch (error) {
    await bus.deleteConsumer(stream, durable).catch(() => undefined);
    throw new EventsStreamReadError(`could not read ${stream}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * The messages consumers gave up on (DEADLETTER), read the same way: what a chaos run's services could not
 * handle at all (a refused input is not a violation by itself, but it explains one).
 */
export async function readDeadLetters(bus: Bus, idleMs = 1_500): Promise<DeadLetter[]> {
  const letters = new Map<number, DeadLetter>();
  let last = performance.now();
  const { durable, handle } = await temporaryConsumer(bus, DEAD_LETTER_STREAM, (payload, info) => {
    last = performance.now();
    letters.set(info.streamSequence, payload as DeadLetter);
  });
  try {
    while (performance.now() - last < idleMs) await new Promise((r) => setTimeout(r, 100));
    return [...letters.entries()].sort(([a], [b]) => a - b).map(([, l]) => l);
  } finally {
    await handle.stop().catch(() => undefined);
    await bus.deleteConsumer(DEAD_LETTER_STREAM, durable).catch(() => undefined);
  }
}

/** Every message of EVENTS: read until nothing more arrives for `idleMs`. */
export async function readEventsStream(bus: Bus, idleMs = 2_000): Promise<RelayedEvent[]> {
  const reader = await EventsStreamReader.start(bus);
  try {
    await reader.idle(idleMs);
    return reader.messages();
  } finally {
    await reader.close();
  }
}
