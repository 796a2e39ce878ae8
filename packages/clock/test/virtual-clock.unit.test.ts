import { describe, expect, it } from "vitest";
import { virtualClock } from "../src/index.js";

const realMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("virtual clock", () => {
  it("given two sleeps, when the platform is quiescent, then it jumps to each due time in order", async () => {
    await using clock = virtualClock({ startAt: 1_000 });
    const woke: Array<[string, number]> = [];
    const a = clock.sleep(60_000).then(() => woke.push(["a", clock.now()]));
    const b = clock.sleep(5_000).then(() => woke.push(["b", clock.now()]));
    await Promise.all([a, b]);
    expect(woke).toEqual([
      ["b", 6_000],
      ["a", 61_000],
    ]);
    expect(clock.stats().advances).toBe(2);
  });

  it("given a probe saying busy, then time stands still however long real time runs, and moves once it says idle", async () => {
    await using clock = virtualClock({ startAt: 0 });
    let busy = true;
    clock.addProbe(() => !busy);
    let woke = false;
    const done = clock.sleep(10).then(() => {
      woke = true;
    });
    await realMs(60);
    expect(woke).toBe(false);
    expect(clock.now()).toBe(0);
    busy = false;
    await done;
    expect(clock.now()).toBe(10);
  });

  it("given a hold, then time does not move until it is released", async () => {
    await using clock = virtualClock({ startAt: 0 });
    const release = clock.hold();
    let woke = false;
    const done = clock.sleep(1).then(() => {
      woke = true;
    });
    await realMs(40);
    expect(woke).toBe(false);
    release();
    await done;
    expect(woke).toBe(true);
  });

  it("given work started by a woken sleeper, then the next sleeper waits until that work is over", async () => {
    await using clock = virtualClock({ startAt: 0 });
    let inFlight = 0;
    clock.addProbe(() => inFlight === 0);
    const order: string[] = [];
    // The first sleeper starts 30 real ms of "platform work" (visible to the probe) when woken; the second,
    // due 1 ms later, must not wake before that work is done.
    const first = clock.sleep(100).then(async () => {
      inFlight++;
      order.push("work started");
      await realMs(30);
      order.push("work done");
      inFlight--;
    });
    const second = clock.sleep(101).then(() => order.push("second woke"));
    await Promise.all([first, second]);
    expect(order).toEqual(["work started", "work done", "second woke"]);
  });

  it("given a probe that is idle only on every other look, then time never moves (two observations must agree)", async () => {
    await using clock = virtualClock({ startAt: 0 });
    let looks = 0;
    clock.addProbe(() => looks++ % 2 === 0);
    let woke = false;
    void clock.sleep(1).then(() => {
      woke = true;
    });
    await realMs(60);
    expect(looks).toBeGreaterThan(4);
    expect(woke).toBe(false);
  });

  it("given a sleep aborted, then it is not waited for and rejects with the reason", async () => {
    await using clock = virtualClock({ startAt: 0 });
    const ac = new AbortController();
    const aborted = clock.sleep(5, ac.signal);
    ac.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    await clock.sleep(10);
    expect(clock.now()).toBe(10);
    expect(clock.pending()).toBe(0);
  });

  it("given a quiescence waiter, then it is served before time moves, and with afterAdvance only after a move", async () => {
    await using clock = virtualClock({ startAt: 0 });
    void clock.sleep(1_000);
    const release = await clock.quiescent();
    expect(clock.now()).toBe(0);
    release();
    const again = await clock.quiescent({ afterAdvance: true });
    expect(clock.now()).toBe(1_000);
    again();
  });
});
