/// <reference lib="esnext.disposable" />
import { type Bus, eventSubject, eventsStreamSpec } from "@switchyard/bus";
import { type Clock, systemClock } from "@switchyard/clock";
import type { EventMessage } from "@switchyard/contracts";
import type {
  AppendNotifications,
  AppendSubscription,
  Checkpoint,
  CheckpointStore,
  EventStore,
  HorizonHolder,
  LeaderLock,
  Leadership,
  LocalWrites,
  RecordedEvent,
  SnapshotHorizon,
} from "@switchyard/event-store";
import {
  ATTRS,
  consoleLog,
  contextFromTraceparent,
  count,
  EventMetrics,
  failSpan,
  record,
  type ServiceLog,
  type ServiceLogLevel,
  SPANS,
  SpanKind,
  startSpan,
  traceparentOf,
} from "@switchyard/telemetry";

export type RelayLogLevel = ServiceLogLevel;
export type RelayLog = ServiceLog;

export interface RelayConfig {
  readonly eventStore: {
    readonly store: Pick<EventStore, "readAll">;
    readonly checkpoints: CheckpointStore;
    readonly leadership: Leadership;
    /** When given (openEventStore provides it), the relay wakes on commits instead of polling. */
    readonly appends?: AppendNotifications;
    /** When given (openEventStore provides it), the relay warns about a transaction holding it back. */
    horizon?(): Promise<SnapshotHorizon>;
    /**
     * This process's appends (openEventStore provides them): with them the relay can say it has published
     * everything this process committed without asking the database (`busyHere`, `caughtUp`).
     */
    readonly writes?: Pick<LocalWrites, "inFlight" | "committed" | "exclusive" | "onChange">;
  };
  /** Already connected, with the deployment's prefix. */
  readonly bus: Pick<Bus, "publish" | "ensureStreams">;
  /** Leader-lock and checkpoint name (default "relay"). */
  readonly name?: string;
  /** Events read and published per round, all in flight at once (default 1000). */
  readonly batchSize?: number;
  /**
   * Events read per page when a new leader rebuilds the contact-centre gauges from the log (default 5000).
   * The rebuild runs beside publishing, which it never holds up.
   */
  readonly rebuildBatchSize?: number;
  /**
   * Wait when the log has nothing new: the fallback poll while listening for commits (default 1000 ms),
   * the poll itself without notifications (no `appends`, `listen: false`, or listening failed; default 50 ms).
   */
  readonly pollIntervalMs?: number;
  /** Listen for commit notifications when the store offers them (default true). */
  readonly listen?: boolean;
  /** Read again after this when committed events wait behind an older transaction (default 10 ms). */
  readonly heldBackPollMs?: number;
  /**
   * Warn (log "warn") when one transaction has held `pg_snapshot_xmin`, and so every event committed after
   * it began, for longer than this (default 10 s; 0 disables). Checked every `horizonCheckMs` (default 1 s).
   */
  readonly xminWarnAfterMs?: number;
  readonly horizonCheckMs?: number;
  /**
   * The checkpoint is saved after a batch when this long (real ms) has passed since the last save, else
   * once the relay has had nothing to publish for the rest of that time, and when it stops (default 200;
   * 0: after every batch). A new leader re-publishes what came after the saved checkpoint, and the EVENTS
   * stream drops those repeats by msg id; saving less often spares the database a write per batch, which at
   * a low event rate was one commit per commit relayed.
   */
  readonly checkpointEveryMs?: number;
  /** Wait between attempts to take leadership while another instance holds it (default 300 ms). */
  readonly standbyRetryMs?: number;
  /** First wait after an error; doubles up to 5 s (default 250 ms). */
  readonly errorBackoffMs?: number;
  readonly log?: RelayLog;
  /**
   * The platform clock, for the contact-centre metrics fed from the relayed events (queue waits; default the
   * system clock). Relay lag is always measured in real time against the database's commit time.
   */
  readonly clock?: Clock;
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
  /** Listening for commit notifications right now. */
  readonly listening: boolean;
  /** Reads started by a notification, by the fallback poll (timeout), by events held back. */
  readonly wakeups: { readonly notified: number; readonly polled: number; readonly heldBack: number };
  /** Warnings about a transaction holding the horizon back. */
  readonly xminWarnings: number;
  /** Events replayed to rebuild the contact-centre gauges, over every term. */
  readonly replayed: number;
  /** The gauges report: this instance leads and has replayed the log up to where its term began. */
  readonly gaugesReady: boolean;
}

export interface Relay extends AsyncDisposable {
  stats(): RelayStats;
  /**
   * True when every committed event has been published and checkpointed: the log holds nothing after this
   * relay's checkpoint (and no commit waits behind an open transaction). For the virtual clock's quiescence.
   */
  caughtUp(): Promise<boolean>;
  /**
   * Synchronous and local (for the virtual clock): true while this leader has something of this process's
   * appends left to read or publish. Always false on a standby or without the store's `writes`.
   */
  busyHere(): boolean;
  /** Calls `changed` whenever `busyHere` may have changed; returns its removal. */
  watch(changed: () => void): () => void;
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

const defaultLog: RelayLog = consoleLog();

/**
 * Runs the outbox relay: one instance among all that share the database publishes (leader lock), the
 * others stand by. Publishes go out in log order on one connection with many acks in flight; the
 * checkpoint moves only past batches whose every ack came, and is saved at most every `checkpointEveryMs`,
 * so a crash re-publishes what was published since the last save (at most that long, or one batch), and the
 * EVENTS stream drops those repeats by msg id (= event id).
 */
export async function start(config: RelayConfig): Promise<Relay> {
  const name = config.name ?? "relay";
  const batchSize = config.batchSize ?? 1000;
  const rebuildBatchSize = config.rebuildBatchSize ?? 5000;
  const notifications = config.listen === false ? undefined : config.eventStore.appends;
  const fallbackPollMs = config.pollIntervalMs ?? 1_000;
  const plainPollMs = config.pollIntervalMs ?? 50;
  const heldBackPollMs = config.heldBackPollMs ?? 10;
  const xminWarnAfterMs = config.xminWarnAfterMs ?? 10_000;
  const horizonCheckMs = config.horizonCheckMs ?? 1_000;
  const standbyRetryMs = config.standbyRetryMs ?? 300;
  const checkpointEveryMs = config.checkpointEveryMs ?? 200;
  const firstBackoff = config.errorBackoffMs ?? 250;
  const log = config.log ?? defaultLog;
  const { store, checkpoints, leadership } = config.eventStore;
  const { bus } = config;

  await bus.ensureStreams([eventsStreamSpec()]);

  const stats = {
    leader: false,
    terms: 0,
    standbyPolls: 0,
    published: 0,
    batches: 0,
    errors: 0,
    listening: false,
    wakeups: { notified: 0, polled: 0, heldBack: 0 },
    xminWarnings: 0,
    replayed: 0,
  };
  const stopper = new AbortController();
  const stopped = stopper.signal;

  // What this process appended and this leader has read (see busyHere): the store's commit count when the
  // last read began, whether that read found nothing (and nothing held back), and the checkpoint in memory.
  const writes = config.eventStore.writes;
  let readFromCommitted = -1;
  let idle = false;
  let leadingAt: Checkpoint | undefined;
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const w of watchers) w();
  };
  const busyHere = () =>
    writes !== undefined &&
    stats.leader &&
    (!idle || writes.inFlight > 0 || writes.committed !== readFromCommitted);

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

  // The doorbell: a notification rings it; the leader clears it before each read, so a commit that lands
  // during a read or a publish is never missed (the next wait returns at once).
  let rung = false;
  let ring: (() => void) | undefined;
  const doorbell = () => {
    rung = true;
    ring?.();
  };
  /** Waits for the doorbell or `ms`; says which. */
  const waitForBell = (ms: number) =>
    new Promise<"notified" | "timeout">((resolve) => {
      if (rung || stopped.aborted) return resolve("notified");
      const done = (why: "notified" | "timeout") => {
        clearTimeout(timer);
        ring = undefined;
        stopped.removeEventListener("abort", onAbort);
        resolve(why);
      };
      const onAbort = () => done("notified");
      const timer = setTimeout(() => done("timeout"), ms);
      ring = () => done("notified");
      stopped.addEventListener("abort", onAbort);
    });

  let subscription: AppendSubscription | undefined;
  let listenPaused = false;
  /** (Re)starts listening when the store offers notifications; failures fall back to polling. */
  async function ensureListening(): Promise<void> {
    if (!notifications || subscription || listenPaused) return;
    // Not more often than every 5 s while the database refuses: polling carries on meanwhile.
    listenPaused = true;
    setTimeout(() => {
      listenPaused = false;
    }, 5_000).unref();
    try {
      const sub = await notifications.listen(doorbell, (err) => {
        if (subscription === sub) subscription = undefined;
        stats.listening = false;
        log("warn", "relay lost its commit notifications, polling until it listens again", {
          error: describe(err),
        });
        doorbell();
      });
      subscription = sub;
      stats.listening = true;
    } catch (err) {
      log("warn", "relay cannot listen for commits, polling instead", { error: describe(err) });
    }
  }
  async function stopListening(): Promise<void> {
    const sub = subscription;
    subscription = undefined;
    stats.listening = false;
    await sub?.close().catch(() => undefined);
  }

  // Every relayed event, exactly once per leader: calls by outcome per group, queues, agents by state. Only
  // the leader reports the gauges, once it has rebuilt them from the log (`rebuildGauges`).
  const eventMetrics = new EventMetrics(() => (config.clock ?? systemClock).now());
  eventMetrics.standBy();

  /**
   * Replays the log from its start up to `upTo` (where this term's publishing begins) into the gauges'
   * state, beside publishing: what the term publishes meanwhile waits in the projection and is applied after.
   * So a new leader reports the queues and agents as the whole log has them, not only what it relayed.
   * A failed read is tried again while the term lasts.
   */
  async function rebuildGauges(upTo: Checkpoint, leading: AbortSignal): Promise<void> {
    eventMetrics.beginRebuild();
    let after: Checkpoint = { transactionId: 0n, position: 0n };
    let backoff = firstBackoff;
    while (!leading.aborted && !stopped.aborted) {
      let page: Awaited<ReturnType<typeof store.readAll>>;
      try {
        page = await store.readAll(after, { limit: rebuildBatchSize });
      } catch (err) {
        log("warn", "relay cannot read the log to rebuild its gauges, trying again", {
          error: describe(err),
        });
        // Not `sleep`: a term that ends meanwhile must not wait for it.
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            leading.removeEventListener("abort", done);
            resolve();
          };
          const timer = setTimeout(done, backoff);
          leading.addEventListener("abort", done);
        });
        backoff = Math.min(backoff * 2, 5_000);
        continue;
      }
      const mine = page.events.filter((e) => !isAfter(e, upTo));
      if (leading.aborted) return;
      eventMetrics.replay(mine);
      stats.replayed += mine.length;
      if (mine.length < page.events.length || page.events.length === 0) break;
      after = page.checkpoint;
    }
    if (!leading.aborted && !stopped.aborted) eventMetrics.endRebuild();
  }

  /** A `relay.publish` span under the trace the event was written in (none for events without one). */
  function publishSpan(e: RecordedEvent) {
    const tp = e.metadata.traceparent;
    if (typeof tp !== "string") return undefined;
    return startSpan(SPANS.relayPublish, "relay", {
      kind: SpanKind.PRODUCER,
      parent: contextFromTraceparent(
        tp,
        typeof e.metadata.tracestate === "string" ? e.metadata.tracestate : undefined,
      ),
      attributes: {
        [ATTRS.eventType]: e.type,
        [ATTRS.streamId]: e.streamId,
        ...(typeof e.metadata.correlationId === "string" ? { [ATTRS.callId]: e.metadata.correlationId } : {}),
      },
    });
  }

  async function publishBatch(events: readonly RecordedEvent[]): Promise<void> {
    // Pipelined: every publish of the batch leaves at once on one connection (so in log order), and the
    // acks are awaited together.
    const acks = events.map((e) => {
      const span = publishSpan(e);
      // With an SDK the consumers' spans hang under this publish; without one the stored context passes on.
      const own = traceparentOf(span);
      const ack = bus.publish(eventSubject(e.streamId), toEventMessage(e), {
        msgId: e.eventId,
        ...(own
          ? { traceparent: own }
          : typeof e.metadata.traceparent === "string"
            ? { traceparent: e.metadata.traceparent }
            : {}),
        ...(typeof e.metadata.tracestate === "string" ? { tracestate: e.metadata.tracestate } : {}),
      });
      if (span)
        void ack.then(
          () => span.end(),
          (err: unknown) => failSpan(span, err),
        );
      return ack;
    });
    // Wait for every publish to settle even when one fails, so none of ours is still in flight when the
    // next leader starts re-publishing this batch.
    const results = await Promise.allSettled(acks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    // Relay lag: the database's commit-side time to now, in real time (the platform clock may be scaled).
    const now = systemClock.now();
    for (const e of events) record("relayLag", Math.max(0, (now - e.recordedAt.getTime()) / 1000));
    count("relayPublished", events.length);
    eventMetrics.observe(events);
  }

  /**
   * While leading: checks who holds the horizon every horizonCheckMs and warns once per holder that has
   * kept its transaction open longer than xminWarnAfterMs (ages by the database's clock).
   */
  async function watchHorizon(leading: AbortSignal): Promise<void> {
    const probe = config.eventStore.horizon?.bind(config.eventStore);
    if (!probe || xminWarnAfterMs <= 0) return;
    let warned: HorizonHolder | undefined;
    while (!leading.aborted && !stopped.aborted) {
      try {
        const { xmin, holder } = await probe();
        const same = warned && holder && holder.pid === warned.pid && holder.xid === warned.xid;
        if (warned && !same) {
          log("info", "pg_snapshot_xmin moved on", {
            pid: warned.pid,
            xid: warned.xid,
            xmin: xmin.toString(),
          });
          warned = undefined;
        }
        if (holder && !same && holder.xactAgeMs >= xminWarnAfterMs) {
          warned = holder;
          stats.xminWarnings++;
          log(
            "warn",
            "pg_snapshot_xmin held back by one transaction: events committed after it are not relayed",
            {
              xmin: xmin.toString(),
              pid: holder.pid,
              xid: holder.xid,
              xactAgeMs: holder.xactAgeMs,
              state: holder.state,
              database: holder.database,
              application: holder.application,
              query: holder.query,
            },
          );
        }
      } catch (err) {
        log("warn", "relay cannot read the snapshot horizon", { error: describe(err) });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, horizonCheckMs);
        function done() {
          clearTimeout(timer);
          leading.removeEventListener("abort", done);
          resolve();
        }
        leading.addEventListener("abort", done);
      });
    }
  }

  async function lead(
    lock: LeaderLock,
    leading: AbortSignal,
    rebuilding: Array<Promise<void>>,
  ): Promise<void> {
    let checkpoint = await checkpoints.load(name);
    let saved = checkpoint;
    let savedAt = systemClock.now();
    const save = async () => {
      if (saved === checkpoint) return;
      const at = checkpoint;
      await checkpoints.save(name, at);
      saved = at;
      savedAt = systemClock.now();
    };
    /** Waits for the doorbell or `ms`; unsaved progress is saved when it falls due meanwhile. */
    const rest = async (ms: number): Promise<"notified" | "timeout"> => {
      if (saved !== checkpoint) {
        const due = Math.max(0, savedAt + checkpointEveryMs - systemClock.now());
        if (due < ms) {
          if ((await waitForBell(due)) === "notified") return "notified";
          await save();
          return waitForBell(ms - due);
        }
      }
      return waitForBell(ms);
    };
    rebuilding.push(rebuildGauges(checkpoint, leading));
    while (!stopped.aborted) {
      if (!(await lock.isHeld())) throw new LeadershipLostError(name);
      await ensureListening();
      rung = false;
      readFromCommitted = writes?.committed ?? -1;
      leadingAt = checkpoint;
      const { events, checkpoint: next, heldBack } = await store.readAll(checkpoint, { limit: batchSize });
      if (events.length === 0) {
        idle = heldBack !== true;
        if (idle) changed();
        const woke = await rest(heldBack ? heldBackPollMs : subscription ? fallbackPollMs : plainPollMs);
        idle = false;
        if (heldBack && woke === "timeout") stats.wakeups.heldBack++;
        else if (woke === "timeout") stats.wakeups.polled++;
        else stats.wakeups.notified++;
        continue;
      }
      await publishBatch(events);
      checkpoint = next;
      if (systemClock.now() - savedAt >= checkpointEveryMs) await save();
      stats.published += events.length;
      stats.batches++;
      // The log ends here when the read was not full, nothing was held back and no commit has been announced
      // since the read began: wait for the next commit instead of reading to find nothing. Announced means
      // this process committed (the embedded PGlite, where nobody else appends) or, while listening, a
      // notification came: every commit is notified after it is visible, so one visible only after the
      // read began rings the bell.
      const quiet =
        writes?.exclusive === true
          ? writes.inFlight === 0 && writes.committed === readFromCommitted
          : subscription !== undefined;
      if (events.length < batchSize && !heldBack && quiet && !rung) {
        leadingAt = checkpoint;
        idle = true;
        changed();
        await rest(subscription ? fallbackPollMs : plainPollMs);
        idle = false;
      }
    }
    // Stopping (not a lost lock): what was published is saved, so the next leader does not repeat it.
    await save().catch((err: unknown) =>
      log("warn", "relay could not save its checkpoint while stopping", { error: describe(err) }),
    );
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
      const leading = new AbortController();
      const watching = watchHorizon(leading.signal);
      const rebuilding: Array<Promise<void>> = [];
      try {
        await lead(lock, leading.signal, rebuilding);
      } catch (err) {
        failed = true;
        stats.errors++;
        log("error", "relay stopped publishing", { error: describe(err) });
      } finally {
        leading.abort();
        await watching;
        await Promise.all(rebuilding);
        // Another instance leads now and feeds its own projection: ours would go stale.
        eventMetrics.standBy();
        await stopListening();
        stats.leader = false;
        idle = false;
        leadingAt = undefined;
        changed();
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
    stats: () => ({ ...stats, wakeups: { ...stats.wakeups }, gaugesReady: eventMetrics.reporting }),
    async caughtUp() {
      if (writes !== undefined && stats.leader && leadingAt !== undefined) {
        if (busyHere()) return false;
        // Nobody else can append (the embedded PGlite): this process's appends are all there is.
        if (writes.exclusive) return true;
        const { events, heldBack } = await store.readAll(leadingAt, { limit: 1 });
        return events.length === 0 && !heldBack;
      }
      const { events, heldBack } = await store.readAll(await checkpoints.load(name), { limit: 1 });
      return events.length === 0 && !heldBack;
    },
    busyHere,
    watch(w) {
      watchers.add(w);
      const unwatch = writes?.onChange(w);
      return () => {
        watchers.delete(w);
        unwatch?.();
      };
    },
    async [Symbol.asyncDispose]() {
      stopper.abort();
      await running;
      eventMetrics[Symbol.dispose]();
    },
  };
}

/** Whether an event lies after a checkpoint in the log's (transaction id, position) order. */
function isAfter(e: RecordedEvent, c: Checkpoint): boolean {
  return (
    e.transactionId > c.transactionId || (e.transactionId === c.transactionId && e.position > c.position)
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
