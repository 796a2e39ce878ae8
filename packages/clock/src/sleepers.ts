// The sleeps parked on a clock that moves by jumps (the manual and the virtual clock): each wakes when the
// clock reaches its due time, the earliest first, and of two due at once the one that slept first.

interface Sleeper {
  readonly due: number;
  readonly seq: number;
  readonly wake: () => void;
}

export class ParkedSleeps {
  readonly #sleepers = new Set<Sleeper>();
  #seq = 0;

  /**
   * @param now the clock's time, read when a sleep starts
   * @param changed called when a sleep starts or is aborted (the virtual clock looks again)
   */
  constructor(
    private readonly now: () => number,
    private readonly changed: () => void = () => {},
  ) {}

  /** A sleep of `platformMs` from now; rejects with the signal's reason when aborted. */
  park(platformMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const sleeper: Sleeper = {
        due: this.now() + Math.max(0, platformMs),
        seq: this.#seq++,
        wake: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers.delete(sleeper);
        this.changed();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.add(sleeper);
      this.changed();
    });
  }

  /** The due time of the sleep that wakes next, if it is due by `limit`. */
  nextDue(limit = Number.POSITIVE_INFINITY): number | undefined {
    return this.#earliest(limit)?.due;
  }

  /** Wakes the sleep that wakes next, if it is due by `limit`; returns its due time. */
  wakeNext(limit = Number.POSITIVE_INFINITY): number | undefined {
    const next = this.#earliest(limit);
    if (!next) return undefined;
    this.#sleepers.delete(next);
    next.wake();
    return next.due;
  }

  get size(): number {
    return this.#sleepers.size;
  }

  #earliest(limit: number): Sleeper | undefined {
    let best: Sleeper | undefined;
    for (const s of this.#sleepers) {
      if (s.due > limit) continue;
      if (!best || s.due < best.due || (s.due === best.due && s.seq < best.seq)) best = s;
    }
    return best;
  }
}
