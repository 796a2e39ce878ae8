// Reading the JetStream EVENTS stream for the checker, through the bus (the only package that speaks NATS).
// The bus offers durable consumers only: the reader declares a temporary one of its own (`check_<random>`)
// from the first message, acknowledges what it reads (acks on a limits stream remove nothing) and deletes the
// consumer when done. The stream itself is not changed.
import { randomBytes } from "node:crypto";
import { type Bus, EVENTS_STREAM } from "@switchyard/bus";
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
    private readonly handle: { stop(): Promise<void> },
  ) {}

  static async start(bus: Bus): Promise<EventsStreamReader> {
    const durable = `check_${randomBytes(6).toString("hex")}`;
    let reader: EventsStreamReader | undefined;
    const early: RelayedEvent[] = [];
    try {
      const handle = await bus.consumeBatches<unknown>({
        stream: EVENTS_STREAM,
        durable,
        deliverPolicy: "all",
        ackWaitMs: 60_000,
        maxDeliver: 1_000,
        maxAckPending: 20_000,
        maxBatch: 2_000,
        // Keeps any payload: an undecodable one would otherwise be dead-lettered (a write).
        decode: (json) => json,
        handler: async (batch) => {
          for (const m of batch) {
            const r = relayed(m.payload, m.info.streamSequence, m.info.msgId);
            if (reader) reader.#add(r);
            else early.push(r);
          }
          return batch.map(() => undefined);
        },
      });
      reader = new EventsStreamReader(bus, durable, handle);
      for (const r of early) reader.#add(r);
      return reader;
    } catch (error) {
      await bus.deleteConsumer(EVENTS_STREAM, durable).catch(() => undefined);
      throw new EventsStreamReadError(`could not read ${EVENTS_STREAM}: ${(error as Error).message}`, {
        cause: error,
      });
    }
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
