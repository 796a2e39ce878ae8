import type { Clock } from "./clock.js";

export type { Clock } from "./clock.js";

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
        // Node's timers run on libuv's cached loop time, so a timer can fire up to a millisecond before
        // Date.now() says its delay has passed; scaled, that is `speed` platform ms early. Re-arm until
        // platform time has really reached the deadline, so a sleep never ends early on this clock.
        const deadline = startAt + (Date.now() - realStart) * speed + platformMs;
        let timer: ReturnType<typeof setTimeout>;
        const arm = (ms: number) => {
          timer = setTimeout(() => {
            const left = deadline - (startAt + (Date.now() - realStart) * speed);
            if (left > 0) return arm(left);
            signal?.removeEventListener("abort", onAbort);
            resolve();
          }, realDelay(ms));
        };
        arm(platformMs);
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

/**
 * The one seeded source (tests, simulations, the simulated phones): sfc32 seeded from a string through
 * cyrb128, so the same seed gives the same sequence on every run and platform, and nearby seeds
 * ("s:agent:a", "s:agent:b") give unrelated sequences.
 */
export function seededRandom(seed: string | number): Random {
  let [a, b, c, d] = cyrb128(String(seed));
  return () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

export { type ManualClock, manualClock } from "./manual-clock.js";
export {
  isVirtualClock,
  type LocalQuiescenceProbe,
  type QuiescenceProbe,
  QuiescenceProbeError,
  type VirtualClock,
  type VirtualClockStats,
  virtualClock,
} from "./virtual-clock.js";
