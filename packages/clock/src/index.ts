/**
 * The one clock of a platform process. Every timestamp and every timer delay comes from here, so a
 * simulation can run the real services faster than real time (an hour of traffic in a minute).
 */
export interface Clock {
  /** Platform time, epoch ms. */
  now(): number;
  /** Real milliseconds to wait for `platformMs` of platform time to pass. */
  realDelay(platformMs: number): number;
  /** Resolves after `platformMs` of platform time (rejects with the signal's reason when aborted). */
  sleep(platformMs: number, signal?: AbortSignal): Promise<void>;
  /** Platform ms per real ms (1 in production). */
  readonly speed: number;
}

export const systemClock: Clock = scaledClock({ speed: 1 });

/**
 * Platform time runs `speed` times faster than real time, starting at `startAt` (default: the real time when
 * created, or `realStart`). With speed 60, one hour of platform time passes in one real minute.
 */
export function scaledClock(options: {
  speed: number;
  startAt?: number;
  /**
   * The real time (epoch ms) at which platform time was `startAt` (default: now). Lets several processes
   * share one scaled clock: give each the same `speed`, `startAt` and `realStart`.
   */
  realStart?: number;
}): Clock {
  const { speed } = options;
  if (!(speed > 0) || !Number.isFinite(speed)) throw new RangeError(`clock speed must be > 0, got ${speed}`);
  const realStart = options.realStart ?? Date.now();
  const startAt = options.startAt ?? realStart;
  const realDelay = (platformMs: number) => Math.max(0, Math.ceil(platformMs / speed));
  return {
    speed,
    now: () => startAt + (Date.now() - realStart) * speed,
    realDelay,
    sleep: (platformMs, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const timer = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }, realDelay(platformMs));
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
  };
}

/**
 * Real (wall-clock) epoch ms, whatever the platform clock's speed: only for times a peer set in real time,
 * such as a gRPC caller's deadline, never for platform timestamps.
 */
export const realNow = (): number => Date.now();

/** A source of uniform numbers in [0, 1) (retry jitter, tie-break seeds): injected, so tests can fix it. */
export type Random = () => number;

/** The process's randomness, for production wiring only. */
export const systemRandom: Random = () => Math.random();

/** A deterministic source (mulberry32) for tests and simulations. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
