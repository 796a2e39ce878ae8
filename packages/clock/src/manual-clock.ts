import type { Clock } from "./index.js";

/**
 * A clock that only moves when told to: `advance(ms)` fires the due sleeps in platform-time order, letting
 * the promise chains they start settle before the next one. For unit tests of anything that takes a Clock.
 */
export interface ManualClock extends Clock {
  advance(platformMs: number): Promise<void>;
  /** Sleeps not yet due. */
  pending(): number;
}

interface Sleeper {
  readonly due: number;
  readonly seq: number;
  readonly resolve: () => void;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export function manualClock(startAt = 0): ManualClock {
  let now = startAt;
  let seq = 0;
  const sleepers = new Set<Sleeper>();
  const next = (limit: number): Sleeper | undefined => {
    let best: Sleeper | undefined;
    for (const s of sleepers) {
      if (s.due > limit) continue;
      if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    }
    return best;
  };
  return {
    speed: 1,
    now: () => now,
    realDelay: (platformMs) => Math.max(0, platformMs),
    sleep: (platformMs, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const sleeper: Sleeper = {
          due: now + Math.max(0, platformMs),
          seq: seq++,
          resolve: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve();
          },
        };
        const onAbort = () => {
          sleepers.delete(sleeper);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        sleepers.add(sleeper);
      }),
    async advance(platformMs) {
      const target = now + platformMs;
      await settle();
      for (let s = next(target); s; s = next(target)) {
        sleepers.delete(s);
        now = Math.max(now, s.due);
        s.resolve();
        await settle();
      }
      now = target;
      await settle();
    },
    pending: () => sleepers.size,
  };
}
