// The machine's raw limits, measured under the platform's own payload sizes: PostgreSQL single-row commits
// and grouped inserts with synchronous_commit=on, and JetStream publishes with 256 in flight. The bench
// talks to PostgreSQL directly here (pg / PGlite), on purpose: this is the ceiling the event store works
// under, not the event store.
import { randomUUID } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { type Bus, connectBus, type StreamSpec } from "@switchyard/bus";
import pg from "pg";
import { created, type Latencies, now, paced, payloadOf, rate, round } from "./measure.js";

/** Bytes of JSON: a leg command / call input (~400 B) and a relayed event (~700 B) on this platform. */
export const COMMAND_BYTES = 400;
export const EVENT_BYTES = 700;
/** Rows per transaction in the grouped-insert measurement (the event store's appendMany batches are ~200). */
const GROUP = 200;
/** Rate of the paced latency measurements: well below saturation, where a routing decision's p99 target lies. */
export const PACED_PER_SEC = 250;

export interface RawPg {
  readonly backend: "postgres" | "pglite";
  readonly synchronousCommit: string;
  /** One row per transaction, one connection. */
  readonly singleRowCommitsPerSec: number;
  /** Same with 8 connections (pg only). */
  readonly singleRowCommitsPerSec8: number | null;
  /** One row per transaction plus pg_notify in it, one connection: what NOTIFY on append costs. */
  readonly notifyCommitsPerSec: number;
  /** Same, 8 connections (pg only). */
  readonly notifyCommitsPerSec8: number | null;
  /** 200 rows per transaction (jsonb_to_recordset, as the event store), 2 connections (1 on PGlite). */
  readonly groupedRowsPerSec: number;
  /**
   * One single-row commit at a time, PACED_PER_SEC a second: each commit's ms (a routing decision commits
   * at least once, so its latency cannot be below this one's).
   */
  readonly commitLatencyMs: Latencies;
}

interface Session {
  query(text: string, values?: unknown[]): Promise<unknown>;
  close(): Promise<void>;
}

const TABLE = `
  create table raw_rows (
    id bigint generated always as identity primary key,
    stream_id text not null,
    event_id uuid not null unique,
    data jsonb not null,
    recorded_at timestamptz not null default now()
  )`;

export async function measurePg(options: {
  url?: string;
  seconds: number;
  log: (line: string) => void;
}): Promise<RawPg> {
  const schema = `bench_raw_${randomUUID().replace(/-/g, "").slice(0, 10)}`;
  if (options.url) created.schemas.push(schema);
  const data = JSON.stringify(payloadOf(EVENT_BYTES - 200, "raw"));
  let sessions: Session[] = [];
  let pglite: PGlite | undefined;
  const open = async (n: number): Promise<Session[]> => {
    if (!options.url) {
      pglite ??= new PGlite();
      const db = pglite;
      // One embedded session: concurrency would only queue on it.
      return [{ query: (t, v) => db.query(t, v), close: async () => undefined }];
    }
    return Promise.all(
      Array.from({ length: n }, async () => {
        const c = new pg.Client({ connectionString: options.url, options: `-c search_path=${schema}` });
        await c.connect();
        return { query: (t: string, v?: unknown[]) => c.query(t, v), close: () => c.end() };
      }),
    );
  };
  try {
    sessions = await open(8);
    const first = sessions[0]!;
    await first.query(`create schema ${schema}`);
    if (pglite) await first.query(`set search_path to ${schema}`);
    await first.query(TABLE);
    const sync = (
      (await first.query("show synchronous_commit")) as { rows: Array<{ synchronous_commit: string }> }
    ).rows[0]!.synchronous_commit;
    const insert = "insert into raw_rows (stream_id, event_id, data) values ($1, $2, $3::jsonb)";
    const single = await rate(options.seconds, 1, async () => {
      await first.query(insert, [`call-${randomUUID()}`, randomUUID(), data]);
      return 1;
    });
    options.log(`  single-row commits, 1 connection: ${Math.round(single)}/s`);
    const commitLatencyMs = await paced(options.seconds, PACED_PER_SEC, () =>
      first.query(insert, [`call-${randomUUID()}`, randomUUID(), data]),
    );
    options.log(
      `  single-row commit latency at ${PACED_PER_SEC}/s, one at a time: p50 ${commitLatencyMs.p50} / p99 ${commitLatencyMs.p99} / p99.9 ${commitLatencyMs.p999} ms`,
    );
    let single8: number | null = null;
    if (sessions.length >= 8) {
      single8 = await rate(options.seconds, 8, async (w) => {
        await sessions[w]!.query(insert, [`call-${randomUUID()}`, randomUUID(), data]);
        return 1;
      });
      options.log(`  single-row commits, 8 connections: ${Math.round(single8)}/s`);
    }
    const notify = await rate(options.seconds, 1, async () => {
      await first.query("begin");
      await first.query(insert, [`call-${randomUUID()}`, randomUUID(), data]);
      await first.query(`select pg_notify('bench_raw_${schema.slice(-10)}', '')`);
      await first.query("commit");
      return 1;
    });
    options.log(`  single-row commits with pg_notify, 1 connection: ${Math.round(notify)}/s`);
    // NOTIFY serialises the commits that notify (a cluster-wide lock at commit): what it costs concurrent writers.
    let notify8: number | null = null;
    if (sessions.length >= 8) {
      notify8 = await rate(options.seconds, 8, async (w) => {
        const s = sessions[w]!;
        await s.query("begin");
        await s.query(insert, [`call-${randomUUID()}`, randomUUID(), data]);
        await s.query(`select pg_notify('bench_raw_${schema.slice(-10)}', '')`);
        await s.query("commit");
        return 1;
      });
      options.log(`  single-row commits with pg_notify, 8 connections: ${Math.round(notify8)}/s`);
    }
    const groupInsert =
      "insert into raw_rows (stream_id, event_id, data) select r.s, r.e, r.d from jsonb_to_recordset($1::text::jsonb) as r(s text, e uuid, d jsonb)";
    const writers = pglite ? 1 : 2;
    const grouped = await rate(options.seconds, writers, async (w) => {
      const rows = Array.from({ length: GROUP }, () => ({
        s: `call-${randomUUID()}`,
        e: randomUUID(),
        d: 0,
      }));
      const text = JSON.stringify(rows).replaceAll('"d":0', `"d":${data}`);
      await sessions[w]!.query(groupInsert, [text]);
      return GROUP;
    });
    options.log(
      `  grouped insert (${GROUP} rows per commit, ${writers} connection(s)): ${Math.round(grouped)} rows/s`,
    );
    return {
      backend: pglite ? "pglite" : "postgres",
      synchronousCommit: sync,
      singleRowCommitsPerSec: round(single),
      singleRowCommitsPerSec8: single8 === null ? null : round(single8),
      notifyCommitsPerSec: round(notify),
      notifyCommitsPerSec8: notify8 === null ? null : round(notify8),
      groupedRowsPerSec: round(grouped),
      commitLatencyMs,
    };
  } finally {
    if (sessions[0])
      await sessions[0].query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
    await pglite?.close();
  }
}

export interface RawJetStream {
  /** Publishes acked per second with 256 in flight, by payload. */
  readonly commandPublishesPerSec: number;
  readonly eventPublishesPerSec: number;
  readonly commandBytes: number;
  readonly eventBytes: number;
  /** One command-sized publish at a time, PACED_PER_SEC a second: ms from publish to its ack. */
  readonly publishAckLatencyMs: Latencies;
}

/** JetStream R1 file storage, message ids on, 256 publishes in flight (a sliding window) from one connection. */
export async function measureJetStream(options: {
  url: string;
  prefix: string;
  seconds: number;
  log: (line: string) => void;
}): Promise<RawJetStream> {
  const bus: Bus = await connectBus({ url: options.url, prefix: options.prefix, name: "bench-raw" });
  created.prefixes.push(options.prefix);
  const spec: StreamSpec = { name: "RAW", subjects: ["raw.>"], retention: "limits", storage: "file" };
  try {
    await bus.ensureStreams([spec]);
    const run = async (bytes: number) => {
      const payload = payloadOf(bytes, "jetstream");
      let inFlight = 0;
      let acked = 0;
      let seq = 0;
      let failed: unknown;
      const until = now() + options.seconds * 1000;
      const start = now();
      await new Promise<void>((resolve) => {
        const pump = () => {
          while (inFlight < 256 && now() < until && failed === undefined) {
            inFlight++;
            const n = seq++;
            bus.publish(`raw.${n % 64}`, payload, { msgId: `raw-${bytes}-${n}-${options.prefix}` }).then(
              () => {
                inFlight--;
                acked++;
                pump();
              },
              (err: unknown) => {
                inFlight--;
                failed = err;
                pump();
              },
            );
          }
          if (inFlight === 0) resolve();
        };
        pump();
      });
      if (failed !== undefined) throw failed;
      return acked / ((now() - start) / 1000);
    };
    const command = await run(COMMAND_BYTES);
    options.log(`  JetStream publishes, 256 in flight, ${COMMAND_BYTES} B: ${Math.round(command)}/s`);
    const event = await run(EVENT_BYTES);
    options.log(`  JetStream publishes, 256 in flight, ${EVENT_BYTES} B: ${Math.round(event)}/s`);
    const command1 = payloadOf(COMMAND_BYTES, "jetstream");
    let n = 0;
    const publishAckLatencyMs = await paced(options.seconds, PACED_PER_SEC, () => {
      n++;
      return bus.publish(`raw.${n % 64}`, command1, { msgId: `raw-paced-${n}-${options.prefix}` });
    });
    options.log(
      `  JetStream publish → ack at ${PACED_PER_SEC}/s, one at a time: p50 ${publishAckLatencyMs.p50} / p99 ${publishAckLatencyMs.p99} / p99.9 ${publishAckLatencyMs.p999} ms`,
    );
    return {
      commandPublishesPerSec: round(command),
      eventPublishesPerSec: round(event),
      commandBytes: COMMAND_BYTES,
      eventBytes: EVENT_BYTES,
      publishAckLatencyMs,
    };
  } finally {
    await bus.deleteStreams().catch(() => undefined);
    await bus.close();
  }
}
