// Small measuring tools shared by the bench sections. Wall-clock readings are the point of a benchmark;
// nothing here is used by a test's assertions.
import { readFile } from "node:fs/promises";

export const now = (): number => performance.now();
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Percentile of a sample (nearest rank); undefined for an empty sample. */
export function percentile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export interface Latencies {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
}

/**
 * p50/p99/p99.9 in ms over `offered` samples: samples that never completed count as slower than every
 * completed one, so a percentile that falls among them is null (not reached).
 */
export function latencies(samples: readonly number[], offered = samples.length): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number | null => {
    const rank = Math.ceil(q * offered);
    if (rank > sorted.length || rank === 0) return null;
    return round(sorted[rank - 1]!, 2);
  };
  return {
    count: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted.length ? round(sorted.at(-1)!, 2) : null,
  };
}

export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Runs `op` back to back for `seconds`, from `workers` loops at once; operations per second. */
export async function rate(seconds: number, workers: number, op: (worker: number) => Promise<number>) {
  let done = 0;
  const until = now() + seconds * 1000;
  const start = now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (now() < until) {
        // Not `done += await op(w)`: that reads `done` before the await, so concurrent workers' counts would
        // overwrite each other's (with 8 workers the rate came out at an eighth).
        const n = await op(w);
        done += n;
      }
    }),
  );
  return done / ((now() - start) / 1000);
}

/**
 * Runs `op` one at a time, started `perSec` times a second (a late one starts the next at once), for
 * `seconds`: the latency of each in ms. Below saturation, this is what one operation costs a caller when
 * nothing queues in front of it: the floor under any latency built on it.
 */
export async function paced(seconds: number, perSec: number, op: () => Promise<unknown>): Promise<Latencies> {
  const samples: number[] = [];
  const start = now();
  for (let i = 0; i < seconds * perSec; i++) {
    const due = start + (i * 1000) / perSec;
    if (now() < due) await sleep(due - now());
    const t0 = now();
    await op();
    samples.push(now() - t0);
  }
  return latencies(samples);
}

/** A payload of about `bytes` bytes of JSON, shaped like the platform's messages. */
export function payloadOf(bytes: number, seed: string): Record<string, unknown> {
  const base = { callId: seed, legId: `${seed}:leg-1`, at: 1_767_603_600_000, kind: "originate" };
  const pad = Math.max(0, bytes - JSON.stringify(base).length - 10);
  return { ...base, pad: "x".repeat(pad) };
}

export const fmt = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined || !Number.isFinite(x)
    ? "—"
    : x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
  a === null || a === undefined || !b ? "—" : `${((a / b) * 100).toFixed(a / b < 0.1 ? 1 : 0)}%`;

/** Every PostgreSQL schema and bus prefix the run created (all removed at the end of their section). */
export const created: { schemas: string[]; prefixes: string[] } = { schemas: [], prefixes: [] };

export const TICKS = 100; // USER_HZ on Linux

/** utime + stime (ticks) of one process, or undefined when it is gone. */
export async function ticksOf(pid: number): Promise<{ comm: string; ticks: number } | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}
