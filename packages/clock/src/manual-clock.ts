import type { Clock } from "./clock.js";
import { ParkedSleeps } from "./sleepers.js";

/**
 * A clock that only moves when told to: `advance(ms)` fires the due sleeps in platform-time order, letting
 * the promise chains they start settle before the next one. For unit tests of anything that takes a Clock.
 */
export interface ManualClock extends Clock {
  advance(platformMs: number): Promise<void>;
  /** Sleeps not yet due. */
  pending(): number;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

export function manualClock(startAt = 0): ManualClock {
  let now = startAt;
  const sleeps = new ParkedSleeps(() => now);
  return {
    speed: 1,
    now: () => now,
    realDelay: (platformMs) => Math.max(0, platformMs),
    sleep: (platformMs, signal) => sleeps.park(platformMs, signal),
    async advance(platformMs) {
      const target = now + platformMs;
      await settle();
      for (let due = sleeps.nextDue(target); due !== undefined; due = sleeps.nextDue(target)) {
        // The clock reads the sleep's due time before the sleep's code runs.
        now = Math.max(now, due);
        sleeps.wakeNext(target);
        await settle();
      }
      now = target;
      await settle();
    },
    pending: () => sleeps.size,
  };
}
