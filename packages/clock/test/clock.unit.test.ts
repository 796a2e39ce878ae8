import { describe, expect, it, vi } from "vitest";
import { scaledClock } from "../src/index.js";

describe("scaled clock", () => {
  it("runs platform time speed times faster than real time", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const clock = scaledClock({ speed: 60, startAt: 0 });
      vi.advanceTimersByTime(1_000);
      expect(clock.now()).toBe(60_000);
      expect(clock.realDelay(3_600_000)).toBe(60_000);
    } finally {
      vi.useRealTimers();
    }
  });

  it("shares platform time across processes given the same real start", () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const first = scaledClock({ speed: 20, startAt: 5_000, realStart: 1_000_000 });
      vi.advanceTimersByTime(500);
      const second = scaledClock({ speed: 20, startAt: 5_000, realStart: 1_000_000 });
      expect(second.now()).toBe(first.now());
      expect(second.now()).toBe(5_000 + 500 * 20);
    } finally {
      vi.useRealTimers();
    }
  });

  it("sleeps for platform time and can be aborted", async () => {
    vi.useFakeTimers();
    try {
      const clock = scaledClock({ speed: 10 });
      let done = false;
      const p = clock.sleep(1_000).then(() => {
        done = true;
      });
      vi.advanceTimersByTime(99);
      await Promise.resolve();
      expect(done).toBe(false);
      vi.advanceTimersByTime(1);
      await p;
      expect(done).toBe(true);
      const controller = new AbortController();
      const aborted = clock.sleep(1_000, controller.signal);
      controller.abort(new Error("stop"));
      await expect(aborted).rejects.toThrow("stop");
    } finally {
      vi.useRealTimers();
    }
  });

  it("never ends a sleep before its platform time has passed, even when the timer fires early", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const clock = scaledClock({ speed: 20, startAt: 0 });
      let endedAt: number | undefined;
      const p = clock.sleep(1_350).then(() => {
        endedAt = clock.now();
      });
      // libuv's loop time can run a millisecond behind Date.now(): the 68 ms timer fires at 67 real ms.
      vi.setSystemTime(Date.now() - 1);
      vi.advanceTimersByTime(68);
      await Promise.resolve();
      expect(endedAt).toBeUndefined();
      vi.advanceTimersByTime(1);
      await p;
      expect(endedAt).toBeGreaterThanOrEqual(1_350);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses a speed that is not positive", () => {
    expect(() => scaledClock({ speed: 0 })).toThrow(RangeError);
  });
});

describe("random sources", () => {
  it("a seeded source repeats for the same seed, differs for another, and stays in [0, 1)", async () => {
    const { seededRandom } = await import("../src/index.js");
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 1_000 }, () => a());
    expect(Array.from({ length: 1_000 }, () => b())).toEqual(xs);
    expect(Array.from({ length: 10 }, () => c())).not.toEqual(xs.slice(0, 10));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs.map((x) => Math.floor(x * 10))).size).toBe(10);
  });
});
