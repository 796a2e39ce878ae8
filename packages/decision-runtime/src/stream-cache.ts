import type { EventMetadata, EventStore, Folded } from "@switchyard/event-store";

/** An event as a projection sees it: from a read of the store, or from an append this process just made. */
export interface StoredEvent {
  readonly type: string;
  readonly data: unknown;
  readonly eventId: string;
  readonly metadata: EventMetadata;
}

/** How the streams of one category (`call-…`, `agent-…`) fold into a state. */
export interface Projection<S> {
  /** The stream id up to its first `-` (or the whole id when it has none, e.g. `config`). */
  readonly category: string;
  readonly initial: S;
  readonly evolve: (state: S, event: StoredEvent) => S;
}

export const projection = <S>(
  category: string,
  initial: S,
  evolve: (state: S, event: StoredEvent) => S,
): Projection<S> => ({ category, initial, evolve });

export const categoryOf = (streamId: string): string => {
  const dash = streamId.indexOf("-");
  return dash < 0 ? streamId : streamId.slice(0, dash);
};

export interface LoadOptions {
  /** Read what was appended since the cached version even when the stream is cached (after a conflict). */
  readonly fresh?: boolean;
  /**
   * Not cached: take the stream as empty without reading it (a StartCall's new stream). If it exists after
   * all (a redelivery), the append's expected version says so and the stream is then read.
   */
  readonly assumeNew?: boolean;
}

/** A stream category without a projection was asked for: a wiring mistake. */
export class UnknownProjectionError extends Error {
  override readonly name = "UnknownProjectionError";
  constructor(readonly streamId: string) {
    super(`no projection for stream ${streamId} (category ${categoryOf(streamId)})`);
  }
}

/**
 * Streams folded to a state at a known version, kept write-through: after an append the decision runtime
 * puts the new state here (no re-read); a stream is read only when it is not cached, or `fresh` after a
 * version conflict (then only what was appended since the cached version). Least recently used streams
 * are dropped beyond `maxEntries`. Versions only move forward.
 */
export class StreamCache {
  readonly #projections = new Map<string, Projection<unknown>>();
  readonly #cache = new Map<string, Folded<unknown>>();
  readonly #reading = new Map<string, Promise<Folded<unknown>>>();
  readonly #listeners: Array<(streamId: string, folded: Folded<unknown>) => void> = [];
  /** Stream reads from the store (stats). */
  reads = 0;

  constructor(
    private readonly store: Pick<EventStore, "readStream">,
    // biome-ignore lint/suspicious/noExplicitAny: projections of different state types side by side
    projections: ReadonlyArray<Projection<any>>,
    private readonly maxEntries = 50_000,
  ) {
    for (const p of projections) this.#projections.set(p.category, p as Projection<unknown>);
  }

  projectionOf(streamId: string): Projection<unknown> | undefined {
    return this.#projections.get(categoryOf(streamId));
  }

  cached<S>(streamId: string): Folded<S> | undefined {
    return this.#cache.get(streamId) as Folded<S> | undefined;
  }

  /** Write-through: the state after this process's own append. Ignored when the cache knows a later version. */
  set(streamId: string, folded: Folded<unknown>): void {
    const had = this.#cache.get(streamId);
    if (had && had.version >= folded.version) return;
    this.#put(streamId, folded);
  }

  /** Told of every new state a stream takes in the cache (e.g. to keep an index over it). */
  onChange(listener: (streamId: string, folded: Folded<unknown>) => void): void {
    this.#listeners.push(listener);
  }

  forget(streamId: string): void {
    this.#cache.delete(streamId);
  }

  /** `base` with `events` applied (the projection of the stream's category; unchanged without one). */
  evolve(streamId: string, base: Folded<unknown>, events: readonly StoredEvent[]): Folded<unknown> {
    const p = this.projectionOf(streamId);
    if (!p) return { state: base.state, version: base.version + events.length };
    let state = base.state;
    for (const e of events) state = p.evolve(state, e);
    return { state, version: base.version + events.length };
  }

  async load<S>(streamId: string, options: LoadOptions = {}): Promise<Folded<S>> {
    const cached = this.#cache.get(streamId);
    if (cached && !options.fresh) {
      // Touch: most recently used last.
      this.#cache.delete(streamId);
      this.#cache.set(streamId, cached);
      return cached as Folded<S>;
    }
    const p = this.projectionOf(streamId);
    if (!p) throw new UnknownProjectionError(streamId);
    if (!cached && options.assumeNew) {
      const empty = { state: p.initial, version: 0 };
      this.#put(streamId, empty);
      return empty as Folded<S>;
    }
    const inFlight = this.#reading.get(streamId);
    // A read already under way may have started before the write we must see (after a version conflict).
    if (inFlight && !options.fresh) return inFlight as Promise<Folded<S>>;
    const read = (inFlight ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.#read(streamId, p))
      .finally(() => {
        if (this.#reading.get(streamId) === read) this.#reading.delete(streamId);
      });
    this.#reading.set(streamId, read);
    return read as Promise<Folded<S>>;
  }

  async #read(streamId: string, p: Projection<unknown>): Promise<Folded<unknown>> {
    const from = this.#cache.get(streamId) ?? { state: p.initial, version: 0 };
    this.reads++;
    const events = await this.store.readStream(streamId, { fromVersion: from.version + 1 });
    // The cache may have moved on (a write-through) while reading: fold onto the latest known state.
    let { state, version } = this.#cache.get(streamId) ?? from;
    for (const e of events) {
      if (e.streamVersion <= version) continue;
      if (e.streamVersion !== version + 1) {
        // A gap: the cached state came from somewhere the read does not continue; start over from the store.
        return this.#readAll(streamId, p);
      }
      state = p.evolve(state, e);
      version = e.streamVersion;
    }
    const next = { state, version };
    this.set(streamId, next);
    return this.#cache.get(streamId) ?? next;
  }

  async #readAll(streamId: string, p: Projection<unknown>): Promise<Folded<unknown>> {
    this.#cache.delete(streamId);
    const events = await this.store.readStream(streamId);
    let folded: Folded<unknown> = { state: p.initial, version: 0 };
    for (const e of events) folded = { state: p.evolve(folded.state, e), version: e.streamVersion };
    this.set(streamId, folded);
    return folded;
  }

  #put(streamId: string, folded: Folded<unknown>): void {
    this.#cache.delete(streamId);
    this.#cache.set(streamId, folded);
    for (const listener of this.#listeners) listener(streamId, folded);
    if (this.#cache.size > this.maxEntries) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }
}
