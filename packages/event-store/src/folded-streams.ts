import type { EventStore, RecordedEvent } from "./types.js";

export interface Folded<S> {
  readonly state: S;
  readonly version: number;
}

/**
 * Streams folded to a state at a known version, caught up incrementally (only events after the cached
 * version are read). Several readers of one stream share one read.
 */
export class FoldedStreams<S> {
  readonly #cache = new Map<string, Folded<S>>();
  readonly #reading = new Map<string, Promise<Folded<S>>>();

  constructor(
    private readonly store: Pick<EventStore, "readStream">,
    private readonly initial: S,
    private readonly evolve: (
      state: S,
      event: { type: string; data: unknown },
      recorded: RecordedEvent | undefined,
    ) => S,
    private readonly maxEntries = 10_000,
  ) {}

  cached(streamId: string): Folded<S> | undefined {
    return this.#cache.get(streamId);
  }

  /**
   * Records events this process just appended on top of `base` (the state it decided from), so its own writes
   * are seen without a read. Ignored when the cache already knows a later version.
   */
  advance(streamId: string, base: Folded<S>, events: ReadonlyArray<{ type: string; data: unknown }>): void {
    const cached = this.#cache.get(streamId);
    if (cached && cached.version >= base.version + events.length) return;
    let state = base.state;
    for (const e of events) state = this.evolve(state, e, undefined);
    this.#cache.set(streamId, { state, version: base.version + events.length });
  }

  /** The stream's state as of now (at least): reads what was appended since the cached version. */
  load(streamId: string, options: { fresh?: boolean } = {}): Promise<Folded<S>> {
    const inFlight = this.#reading.get(streamId);
    // A read already under way may have started before the write we must see (after a version conflict).
    if (inFlight && !options.fresh) return inFlight;
    const p = (inFlight ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.#read(streamId))
      .finally(() => {
        if (this.#reading.get(streamId) === p) this.#reading.delete(streamId);
      });
    this.#reading.set(streamId, p);
    return p;
  }

  async #read(streamId: string): Promise<Folded<S>> {
    const from = this.#cache.get(streamId) ?? { state: this.initial, version: 0 };
    const events = await this.store.readStream(streamId, { fromVersion: from.version + 1 });
    let { state, version } = this.#cache.get(streamId) ?? from;
    for (const e of events) {
      if (e.streamVersion <= version) continue;
      state = this.evolve(state, e, e);
      version = e.streamVersion;
    }
    const next = { state, version };
    this.#cache.delete(streamId);
    this.#cache.set(streamId, next);
    if (this.#cache.size > this.maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return next;
  }
}
