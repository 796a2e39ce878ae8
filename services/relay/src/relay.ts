/// <reference lib="esnext.disposable" />
import { type Bus, type EventMessage, eventSubject, eventsStreamSpec } from "@switchyard/bus";
import type {
  CheckpointStore,
  EventStore,
  LeaderLock,
  Leadership,
  RecordedEvent,
} from "@switchyard/event-store";

export type RelayLogLevel = "info" | "warn" | "error";
export type RelayLog = (
  level: RelayLogLevel,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

export interface RelayConfig {
  readonly eventStore: {
    readonly store: Pick<EventStore, "readAll">;
    readonly checkpoints: CheckpointStore;
    readonly leadership: Leadership;
  };
  /** Already connected, with the deployment's prefix. */
  readonly bus: Pick<Bus, "publish" | "ensureStreams">;
  /** Leader-lock and checkpoint name (default "relay"). */
  readonly name?: string;
  /** Events read and published per round, all in flight at once (default 1000). */
  readonly batchSize?: number;
  /** Wait when the log has nothing new (default 50 ms). */
  readonly pollIntervalMs?: number;
  /** Wait between attempts to take leadership while another instance holds it (default 300 ms). */
  readonly standbyRetryMs?: number;
  /** First wait after an error; doubles up to 5 s (default 250 ms). */
  readonly errorBackoffMs?: number;
  readonly log?: RelayLog;
}

export interface RelayStats {
  readonly leader: boolean;
  /** Times this instance became leader. */
  readonly terms: number;
  /** Failed attempts to take leadership (another instance held it). */
  readonly standbyPolls: number;
  readonly published: number;
  readonly batches: number;
  readonly errors: number;
}

export interface Relay extends AsyncDisposable {
  stats(): RelayStats;
}

/** Leadership was lost while publishing (the lock's connection dropped). */
export class LeadershipLostError extends Error {
  override readonly name = "LeadershipLostError";
  constructor(name: string) {
    super(`leadership ${name} was lost`);
  }
}

export function toEventMessage(e: RecordedEvent): EventMessage {
  return {
    id: e.eventId,
    streamId: e.streamId,
    version: e.streamVersion,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt.toISOString(),
    position: e.position.toString(),
    transactionId: e.transactionId.toString(),
  };
}

const defaultLog: RelayLog = (level, message, fields) => {
  const line = JSON.stringify({ level, msg: message, ...fields });
  if (level === "info") console.log(line);
  else console.error(line);
};

/**
 * Runs the outbox relay: one instance among all that share the database publishes (leader lock), the
 * others stand by. Publishes go out in log order on one connection with many acks in flight; the
 * checkpoint is saved only after every ack of the batch, so a crash re-publishes at most one batch, and
 * the EVENTS stream drops those repeats by msg id (= event id).
 */
export async function start(config: RelayConfig): Promise<Relay> {
  const name = config.name ?? "relay";
  const batchSize = config.batchSize ?? 1000;
  const pollIntervalMs = config.pollIntervalMs ?? 50;
  const standbyRetryMs = config.standbyRetryMs ?? 300;
  const firstBackoff = config.errorBackoffMs ?? 250;
  const log = config.log ?? defaultLog;
  const { store, checkpoints, leadership } = config.eventStore;
  const { bus } = config;

  await bus.ensureStreams([eventsStreamSpec()]);

  const stats = { leader: false, terms: 0, standbyPolls: 0, published: 0, batches: 0, errors: 0 };
  const stopper = new AbortController();
  const stopped = stopper.signal;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        stopped.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopped.addEventListener("abort", done);
    });

  async function publishBatch(events: readonly RecordedEvent[]): Promise<void> {
    const acks = events.map((e) =>
      bus.publish(eventSubject(e.streamId), toEventMessage(e), {
        msgId: e.eventId,
        ...(typeof e.metadata.traceparent === "string" ? { traceparent: e.metadata.traceparent } : {}),
        ...(typeof e.metadata.tracestate === "string" ? { tracestate: e.metadata.tracestate } : {}),
      }),
    );
    // Wait for every publish to settle even when one fails, so none of ours is still in flight when the
    // next leader starts re-publishing this batch.
    const results = await Promise.allSettled(acks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  async function lead(lock: LeaderLock): Promise<void> {
    let checkpoint = await checkpoints.load(name);
    while (!stopped.aborted) {
      if (!(await lock.isHeld())) throw new LeadershipLostError(name);
      const { events, checkpoint: next } = await store.readAll(checkpoint, { limit: batchSize });
      if (events.length === 0) {
        await sleep(pollIntervalMs);
        continue;
      }
      await publishBatch(events);
      await checkpoints.save(name, next);
      checkpoint = next;
      stats.published += events.length;
      stats.batches++;
    }
  }

  async function run(): Promise<void> {
    let backoff = firstBackoff;
    while (!stopped.aborted) {
      let lock: LeaderLock | null;
      try {
        lock = await leadership.tryAcquire(name);
      } catch (err) {
        stats.errors++;
        log("warn", "relay cannot try for leadership", { error: describe(err) });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
        continue;
      }
      if (!lock) {
        stats.standbyPolls++;
        await sleep(standbyRetryMs);
        continue;
      }
      stats.leader = true;
      stats.terms++;
      log("info", "relay is leader", { name, pid: process.pid });
      let failed = false;
      try {
        await lead(lock);
      } catch (err) {
        failed = true;
        stats.errors++;
        log("error", "relay stopped publishing", { error: describe(err) });
      } finally {
        stats.leader = false;
        await lock.release().catch(() => undefined);
      }
      if (failed) {
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      } else {
        backoff = firstBackoff;
      }
    }
  }

  const running = run();
  return {
    stats: () => ({ ...stats }),
    async [Symbol.asyncDispose]() {
      stopper.abort();
      await running;
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
