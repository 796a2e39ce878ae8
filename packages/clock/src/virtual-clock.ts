import type { Clock } from "./clock.js";
import { ParkedSleeps } from "./sleepers.js";

/**
 * Says whether its part of the platform is quiescent right now (nothing in flight, unacknowledged or being
 * handled). May ask a server (JetStream consumer info, the relay's checkpoint in PostgreSQL). A bare
 * function is polled (with a short back-off while it says busy); a `LocalQuiescenceProbe` is asked only when
 * its local counts say idle, and tells the clock when they change, so the clock waits instead of polling.
 */
export type QuiescenceProbe = (() => boolean | Promise<boolean>) | LocalQuiescenceProbe;

export interface LocalQuiescenceProbe {
  /** Synchronous and local (no server asked): true while this process sees its part of the platform busy. */
  busyHere(): boolean;
  /** Calls `changed` whenever what `busyHere` looks at may have changed; returns its removal. */
  watch(changed: () => void): () => void;
  /**
   * Asked once `busyHere` says idle: true when the part is quiescent (may ask a server once). Only a change
   * reported through `watch` can make it busy again without `busyHere` saying so first, except for work of
   * other processes, which it must find itself.
   */
  confirm(): boolean | Promise<boolean>;
}

/**
 * Exact simulated time: platform time stands still while the platform works, and when it is quiescent (every
 * probe says so on two consecutive observations, with nothing started in between: a local probe's second
 * observation is its local counts, unchanged since its confirmation) it jumps straight to the
 * earliest sleep due (a durable timer, a caller's arrival, a scripted phone's action) and wakes that one
 * sleeper only. Results then depend on neither the machine's speed nor its load, and a run takes as long as
 * the platform needs to decide.
 *
 * The contract for code woken by a sleep: whatever it starts must be visible to a probe, or held with
 * `hold()`/`run()`, before its first real (non-microtask) wait. The clock yields a macrotask between waking a
 * sleeper and observing again, so synchronous starts (a publish, a new sleep) are always seen.
 */
export interface VirtualClock extends Clock, AsyncDisposable {
  readonly virtual: true;
  /** Adds a probe; returns its removal. */
  addProbe(probe: QuiescenceProbe): () => void;
  /** Keeps platform time where it is until the returned release is called (idempotent release). */
  hold(): () => void;
  /** Runs `work` holding the clock. */
  run<T>(work: () => Promise<T> | T): Promise<T>;
  /**
   * Resolves at a quiescent moment with the clock held (call the release to let it move on). With
   * `afterAdvance`, only once the clock has moved at least once after this call (or when it has nothing left to
   * move to: then after `idleRealMs` of real time, default 20).
   */
  quiescent(options?: { afterAdvance?: boolean; idleRealMs?: number }): Promise<() => void>;
  /** Sleeps not yet due. */
  pending(): number;
  /** The next sleeper's due time, if any. */
  nextDue(): number | undefined;
  stats(): VirtualClockStats;
}

export interface VirtualClockStats {
  /** Times platform time moved (one sleeper woken each). */
  readonly advances: number;
  /** Quiescence observations made (each asks every probe). */
  readonly observations: number;
  /** Observations skipped because a local probe's counts said busy (no server asked). */
  readonly localBusy: number;
}

interface Waiter {
  readonly afterAdvance: boolean;
  readonly registeredAt: number;
  readonly idleRealMs: number;
  readonly since: number;
  readonly resolve: (release: () => void) => void;
}

const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

export function isVirtualClock(clock: Clock): clock is VirtualClock {
  return (clock as Partial<VirtualClock>).virtual === true;
}

/** A probe said the platform could not be observed (a server did not answer): the clock stays put. */
export class QuiescenceProbeError extends Error {
  override readonly name = "QuiescenceProbeError";
}

export function virtualClock(options: {
  startAt: number;
  onProbeError?: (err: unknown) => void;
}): VirtualClock {
  let now = options.startAt;
  let holds = 0;
  let advances = 0;
  let observations = 0;
  let localBusy = 0;
  let stopped = false;
  const probes = new Set<QuiescenceProbe>();
  const local = new Set<LocalQuiescenceProbe>();
  const polled = new Set<() => boolean | Promise<boolean>>();
  const waiters = new Set<Waiter>();
  // Bumped by anything that starts or ends on the clock's side (a sleep, a hold): two observations agree only
  // when no such change happened between them.
  let changes = 0;
  let nudge: (() => void) | undefined;
  const wakeLoop = () => {
    changes++;
    const n = nudge;
    nudge = undefined;
    n?.();
  };

  const sleeps = new ParkedSleeps(() => now, wakeLoop);

  const hold = () => {
    holds++;
    changes++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      holds--;
      wakeLoop();
    };
  };

  const busyHere = () => {
    for (const probe of local) if (probe.busyHere()) return true;
    return false;
  };

  /** Every probe, servers included; with `polledOnly`, the polled probes only (the second observation). */
  async function observe(polledOnly = false): Promise<boolean> {
    observations++;
    for (const probe of probes) {
      if (polledOnly && typeof probe !== "function") continue;
      try {
        if (!(await (typeof probe === "function" ? probe() : probe.confirm()))) return false;
      } catch (err) {
        options.onProbeError?.(err);
        return false;
      }
    }
    return true;
  }

  /** Waits for a change on the clock's side or `ms` of real time. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        if (nudge === done) nudge = undefined;
        resolve();
      }
      nudge = done;
    });

  async function loop(): Promise<void> {
    let busyStreak = 0;
    while (!stopped) {
      if (holds > 0 || (sleeps.size === 0 && waiters.size === 0)) {
        await pause(50);
        continue;
      }
      const before = changes;
      if (busyHere()) {
        // A local probe's counts say busy: no server is asked, and the clock sleeps until they change (each
        // change wakes it through the probe's watch; the timeout only bounds a missed wake-up).
        localBusy++;
        await pause(polled.size > 0 ? 5 : 250);
        continue;
      }
      const first = holds === 0 && (await observe());
      if (!first) {
        // Busy: look again soon; back off a little while the platform stays busy, to leave it the CPU. A
        // local change ends the wait at once.
        busyStreak++;
        await (busyStreak < 20 && local.size === 0 ? macrotask() : pause(Math.min(5, busyStreak / 20)));
        continue;
      }
      busyStreak = 0;
      await macrotask();
      if (
        stopped ||
        holds > 0 ||
        changes !== before ||
        busyHere() ||
        !(await observe(true)) ||
        changes !== before ||
        holds > 0
      )
        continue;
      // Quiescent. Waiters first: a test's check runs here, before time moves.
      const realNow = performance.now();
      const served = [...waiters].filter(
        (w) =>
          !w.afterAdvance ||
          advances > w.registeredAt ||
          (sleeps.size === 0 && realNow - w.since >= w.idleRealMs),
      );
      if (served.length > 0) {
        for (const w of served) {
          waiters.delete(w);
          w.resolve(hold());
        }
        continue;
      }
      const due = sleeps.nextDue();
      if (due === undefined) {
        await pause(5);
        continue;
      }
      now = Math.max(now, due);
      advances++;
      changes++;
      sleeps.wakeNext();
      // The woken code runs its synchronous part (and its microtasks) before the next observation.
      await macrotask();
    }
  }

  const running = loop();

  const clock: VirtualClock = {
    virtual: true,
    // Platform ms per real ms is not defined: time moves by jumps.
    speed: Number.POSITIVE_INFINITY,
    now: () => now,
    // A real wait (a retry back-off) does not move platform time here; the clock waits for it to finish.
    realDelay: (platformMs) => Math.max(0, Math.ceil(platformMs)),
    sleep: (platformMs, signal) => sleeps.park(platformMs, signal),
    addProbe(probe) {
      probes.add(probe);
      let unwatch = () => {};
      if (typeof probe === "function") polled.add(probe);
      else {
        local.add(probe);
        unwatch = probe.watch(wakeLoop);
      }
      wakeLoop();
      return () => {
        probes.delete(probe);
        if (typeof probe === "function") polled.delete(probe);
        else local.delete(probe);
        unwatch();
        wakeLoop();
      };
    },
    hold,
    async run(work) {
      const release = hold();
      try {
        return await work();
      } finally {
        release();
      }
    },
    quiescent: (o = {}) =>
      new Promise((resolve) => {
        waiters.add({
          afterAdvance: o.afterAdvance ?? false,
          registeredAt: advances,
          idleRealMs: o.idleRealMs ?? 20,
          since: performance.now(),
          resolve,
        });
        wakeLoop();
      }),
    pending: () => sleeps.size,
    nextDue: () => sleeps.nextDue(),
    stats: () => ({ advances, observations, localBusy }),
    async [Symbol.asyncDispose]() {
      stopped = true;
      wakeLoop();
      await running;
    },
  };
  return clock;
}
