import { type BatchOutcome, PoisonMessageError, TransientError } from "@switchyard/bus";
import type { Clock, Random } from "@switchyard/clock";
import {
  type AppendResult,
  type EventMetadata,
  type EventStore,
  eventIdFor,
  type Folded,
  type NewEvent,
  type StreamAppend,
  WrongExpectedVersionError,
} from "@switchyard/event-store";
import type { LoadOptions, StoredEvent, StreamCache } from "./stream-cache.js";

/** One stream a decision appends to, with the version it decided from. */
export interface Write {
  readonly streamId: string;
  readonly expectedVersion: number;
  readonly events: ReadonlyArray<{ readonly type: string; readonly data: unknown }>;
  /** Added to each event's metadata (the runtime adds `causationId`). */
  readonly metadata?: EventMetadata;
  /** Added to the first event's metadata only: what describes the decision as a whole (e.g. its input). */
  readonly firstEventMetadata?: EventMetadata;
  /**
   * The state the decision saw, when it did not come from the view (e.g. an agent read from a presence
   * view): lets the cache advance without a read. Without it the view's state at `expectedVersion` is used.
   */
  readonly base?: Folded<unknown>;
}

/** Something to publish once the decision is committed; the message id makes a re-publish harmless. */
export interface Effect {
  readonly subject: string;
  readonly payload: unknown;
  readonly msgId: string;
}

/** What a committed decision wrote, with the event ids the runtime gave its events. */
export interface Committed {
  events(streamId: string): readonly StoredEvent[];
  /** A written stream's projected state after the decision (cached streams only): no need to fold it again. */
  state<S>(streamId: string): S | undefined;
}

export type Decision =
  | {
      readonly kind: "write";
      readonly writes: readonly Write[];
      readonly effects?: (committed: Committed) => readonly Effect[];
    }
  /** Nothing to append (stale input, or a redelivery whose effects are re-published). */
  | { readonly kind: "noop"; readonly effects?: readonly Effect[] }
  /**
   * The domain refused the input. `deadLetter`: it can never succeed (dead-lettered with the reason);
   * otherwise it is routine (an offer to a caller taken meanwhile) and acknowledged.
   */
  | { readonly kind: "refused"; readonly error: Error; readonly deadLetter: boolean };

/** What a decision reads: streams of the cache, as advanced by the earlier decisions of the same batch. */
export interface DecisionView {
  /** Platform time of this decision (the runtime's clock). */
  readonly now: number;
  /** Makes sure the stream is cached (reading it if not, or `fresh`), then reads it. */
  load<S>(streamId: string, options?: LoadOptions): Promise<Folded<S>>;
  /** A loaded stream; the decision is checked against its version at commit (a stale read is a conflict). */
  read<S>(streamId: string): Folded<S>;
  /** A loaded stream without checking its version at commit, or undefined when not loaded. */
  peek<S>(streamId: string): Folded<S> | undefined;
}

export interface DecisionRuntimeConfig<I> {
  readonly store: Pick<EventStore, "appendMany">;
  readonly cache: StreamCache;
  readonly clock: Clock;
  /** Jitter of retries. */
  readonly random: Random;
  /** Publishes one effect; the returned promise is its acknowledgement (many are kept in flight). */
  readonly publish: (effect: Effect) => Promise<unknown>;
  /** Inputs with the same key are decided in order, never in the same round of a batch. */
  readonly keyOf: (input: I) => string;
  /** Unique per input: the causation id of its events and the seed of their ids. */
  readonly messageIdOf: (input: I) => string;
  readonly decide: (input: I, view: DecisionView) => Decision | Promise<Decision>;
  /** Runs before each round of a batch (e.g. refresh the configuration, read uncached streams in parallel). */
  readonly beforeRound?: (inputs: readonly I[]) => Promise<void>;
  /** Base metadata of every event (actor, instance). */
  readonly metadata?: EventMetadata;
  /** Decide attempts of one input after version conflicts before it is nak-ed for later (default 8). */
  readonly maxAttempts?: number;
  /** Real-time wait between attempts (default setTimeout). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onConflict?: (info: { readonly streamId: string; readonly attempt: number }) => void;
}

export interface DecisionRuntimeStats {
  readonly batches: number;
  readonly rounds: number;
  /** Inputs whose decision was appended. */
  readonly decisions: number;
  readonly noops: number;
  readonly refused: number;
  readonly conflicts: number;
  /** Re-decisions after a conflict (without the rest of the batch). */
  readonly redecided: number;
  /** Inputs given up after maxAttempts (nak-ed for later). */
  readonly deferred: number;
  readonly effects: number;
  readonly largestBatch: number;
}

/** The outcome of one input, as the bus settles it. */
export type InputOutcome = BatchOutcome;

/** A write's expected version matches neither the view nor its `base`: the decision read something else. */
export class UnexplainedWriteError extends Error {
  override readonly name = "UnexplainedWriteError";
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`write to ${streamId} expects version ${expectedVersion}, which the decision did not read`);
  }
}

/** A decision read a stream it had not loaded: a wiring mistake. */
export class StreamNotLoadedError extends Error {
  override readonly name = "StreamNotLoadedError";
  constructor(readonly streamId: string) {
    super(`stream ${streamId} was read before it was loaded`);
  }
}

/**
 * Stream states as advanced by the decisions taken so far in a round, with the decision (its position in
 * the round) that wrote each.
 */
type Overlay = Map<string, { readonly folded: Folded<unknown>; readonly by: number }>;

class View implements DecisionView {
  readonly reads = new Map<string, number>();
  /** Decisions of this round whose uncommitted writes this one read. */
  readonly deps = new Set<number>();
  constructor(
    private readonly cache: StreamCache,
    private readonly overlay: Overlay,
    readonly now: number,
  ) {}

  peek<S>(streamId: string): Folded<S> | undefined {
    return (this.overlay.get(streamId)?.folded ?? this.cache.cached(streamId)) as Folded<S> | undefined;
  }

  read<S>(streamId: string): Folded<S> {
    const f = this.peek<S>(streamId);
    if (!f) throw new StreamNotLoadedError(streamId);
    this.reads.set(streamId, f.version);
    const o = this.overlay.get(streamId);
    if (o) this.deps.add(o.by);
    return f;
  }

  async load<S>(streamId: string, options: LoadOptions = {}): Promise<Folded<S>> {
    if (options.fresh || !this.peek(streamId)) await this.cache.load(streamId, options);
    return this.read<S>(streamId);
  }
}

/** One input's decision, ready to append. */
interface Prepared {
  readonly index: number;
  readonly decision: Decision;
  readonly append: StreamAppend[];
  /** States after the decision, per written stream that has a projection. */
  readonly after: ReadonlyMap<string, Folded<unknown>>;
  readonly stored: ReadonlyMap<string, StoredEvent[]>;
  readonly eventCount: number;
  /** Positions in the round of the decisions whose uncommitted writes this one built on. */
  readonly deps: ReadonlySet<number>;
}

type Settled =
  | { readonly kind: "done"; readonly outcome: InputOutcome; readonly effects: readonly Effect[] }
  | { readonly kind: "again"; readonly fresh: readonly string[] };

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The batched decision loop shared by the services: for a batch of inputs it decides each against the
 * cached streams as advanced by the decisions before it in the batch, appends all decisions in one
 * transaction (`appendMany`, one result each), re-decides only the ones that conflicted (re-reading
 * only the conflicting stream), publishes every effect with all publishes in flight, and returns one
 * outcome per input for the consumer to ack, nak or dead-letter.
 *
 * Every stream a decision read but does not write is asserted at its version in the same transaction, so
 * a decision taken on a stale cache (another replica wrote meanwhile) or on the write of an earlier
 * decision of the batch that then failed is never committed: it conflicts and is decided again.
 */
export class DecisionRuntime<I> {
  readonly #c: DecisionRuntimeConfig<I>;
  readonly #maxAttempts: number;
  /** Per key, the run deciding its inputs last (later runs wait for it before deciding that key). */
  readonly #keyTails = new Map<string, Promise<void>>();
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #stats = {
    batches: 0,
    rounds: 0,
    decisions: 0,
    noops: 0,
    refused: 0,
    conflicts: 0,
    redecided: 0,
    deferred: 0,
    effects: 0,
    largestBatch: 0,
  };

  constructor(config: DecisionRuntimeConfig<I>) {
    this.#c = config;
    this.#maxAttempts = config.maxAttempts ?? 8;
    this.#sleep = config.sleep ?? realSleep;
  }

  stats(): DecisionRuntimeStats {
    return { ...this.#stats };
  }

  /**
   * Decides, appends and publishes a batch; one outcome per input, in input order. Runs may overlap (the
   * consumer keeps several batches in flight): inputs whose key an earlier run is still deciding wait for
   * it, the others go ahead.
   */
  async run(inputs: readonly I[]): Promise<InputOutcome[]> {
    this.#stats.batches++;
    this.#stats.largestBatch = Math.max(this.#stats.largestBatch, inputs.length);
    const outcomes: InputOutcome[] = new Array(inputs.length).fill(undefined);
    const free: number[] = [];
    const blocked: number[] = [];
    const waits = new Set<Promise<void>>();
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const mine = new Map<string, boolean>(); // key → waits for an earlier run
    for (const [i, input] of inputs.entries()) {
      const key = this.#c.keyOf(input);
      let waiting = mine.get(key);
      if (waiting === undefined) {
        const earlier = this.#keyTails.get(key);
        waiting = earlier !== undefined;
        if (earlier) waits.add(earlier);
        const tail = earlier ? earlier.then(() => finished) : finished;
        this.#keyTails.set(key, tail);
        void tail.then(() => {
          if (this.#keyTails.get(key) === tail) this.#keyTails.delete(key);
        });
        mine.set(key, waiting);
      }
      (waiting ? blocked : free).push(i);
    }
    try {
      await Promise.all([
        this.#runSome(inputs, free, outcomes),
        blocked.length > 0
          ? Promise.all(waits).then(() => this.#runSome(inputs, blocked, outcomes))
          : Promise.resolve(),
      ]);
    } finally {
      finish();
    }
    return outcomes;
  }

  async #runSome(inputs: readonly I[], indices: readonly number[], outcomes: InputOutcome[]): Promise<void> {
    // Round r holds the r-th input of each key: inputs of one key are never decided in the same round.
    const rounds: number[][] = [];
    const seen = new Map<string, number>();
    indices.forEach((i) => {
      const key = this.#c.keyOf(inputs[i]!);
      const r = seen.get(key) ?? 0;
      seen.set(key, r + 1);
      if (rounds[r] === undefined) rounds[r] = [];
      rounds[r].push(i);
    });
    for (const round of rounds) {
      this.#stats.rounds++;
      await this.#round(inputs, round, outcomes);
    }
  }

  async #round(inputs: readonly I[], round: readonly number[], outcomes: InputOutcome[]): Promise<void> {
    try {
      await this.#c.beforeRound?.(round.map((i) => inputs[i]!));
    } catch (err) {
      for (const i of round) outcomes[i] = asError(err);
      return;
    }
    const published: Array<Promise<void>> = [];
    let pending: Array<{ index: number; fresh: readonly string[] }> = round.map((index) => ({
      index,
      fresh: [],
    }));
    for (let attempt = 0; pending.length > 0 && attempt < this.#maxAttempts; attempt++) {
      if (attempt > 0) {
        // Conflicting decisions again, without the rest of the batch, each after re-reading only the
        // stream it conflicted on. Several inputs may race for one stream (a queue, a group cursor) with
        // another replica: spread the retries out.
        this.#stats.redecided += pending.length;
        for (const p of pending) this.#c.onConflict?.({ streamId: p.fresh[0] ?? "", attempt });
        await this.#sleep(this.#c.random() * 5 * attempt);
        const fresh = new Set(pending.flatMap((p) => p.fresh));
        try {
          await Promise.all([...fresh].map((id) => this.#c.cache.load(id, { fresh: true })));
        } catch (err) {
          for (const p of pending) outcomes[p.index] = asError(err);
          pending = [];
          break;
        }
      }
      pending = await this.#pass(
        inputs,
        pending.map((p) => p.index),
        outcomes,
        published,
      );
    }
    // Too many conflicts in a row: redelivered later, when the race has passed.
    for (const p of pending) {
      this.#stats.deferred++;
      outcomes[p.index] = { nak: 200 + Math.floor(this.#c.random() * 300) };
    }
    await Promise.all(published);
  }

  /**
   * Decides the inputs (distinct keys) in order over one overlay, appends them in one transaction, starts
   * publishing the effects of the committed ones, and returns those to decide again.
   */
  async #pass(
    inputs: readonly I[],
    indices: readonly number[],
    outcomes: InputOutcome[],
    published: Array<Promise<void>>,
  ): Promise<Array<{ index: number; fresh: readonly string[] }>> {
    const overlay: Overlay = new Map();
    const prepared: Prepared[] = [];
    for (const index of indices) {
      try {
        const p = await this.#prepare(inputs[index]!, index, overlay);
        for (const [streamId, folded] of p.after) overlay.set(streamId, { folded, by: prepared.length });
        prepared.push(p);
      } catch (err) {
        outcomes[index] = asError(err);
      }
    }
    // A decision built on an uncommitted write of an earlier one commits with it or not at all: they go
    // in one append. (A version assertion alone is not enough: a foreign write can reach the same version.)
    const groups = groupByDependency(prepared).filter((g) => g.append.length > 0);
    let results: ReadonlyArray<AppendResult | Error> = [];
    try {
      results = groups.length > 0 ? await this.#c.store.appendMany(groups.map((g) => g.append)) : [];
    } catch (err) {
      for (const g of groups) for (const p of g.members) outcomes[p.index] = asError(err);
    }
    const resultOf = new Map<Prepared, AppendResult | Error | "stale">();
    groups.forEach((g, i) => {
      const r = results[i];
      if (r === undefined) return;
      const stale = !(r instanceof Error) && r.written < g.eventCount;
      for (const p of g.members) resultOf.set(p, stale ? "stale" : r);
    });
    const again: Array<{ index: number; fresh: readonly string[] }> = [];
    for (const p of prepared) {
      const result = resultOf.get(p);
      if (p.append.length > 0 && result === undefined) continue; // the whole appendMany failed
      const settled = this.#settle(p, result);
      if (settled.kind === "done") {
        outcomes[p.index] = settled.outcome;
        published.push(this.#publish(p.index, settled.effects, outcomes));
      } else {
        again.push({ index: p.index, fresh: settled.fresh });
      }
    }
    return again;
  }

  async #prepare(input: I, index: number, overlay: Overlay): Promise<Prepared> {
    const view = new View(this.#c.cache, overlay, this.#c.clock.now());
    const deps = view.deps;
    const decision = await this.#c.decide(input, view);
    const messageId = this.#c.messageIdOf(input);
    const append: StreamAppend[] = [];
    const after = new Map<string, Folded<unknown>>();
    const stored = new Map<string, StoredEvent[]>();
    let eventCount = 0;
    const written = new Set<string>();
    if (decision.kind === "write") {
      for (const w of decision.writes) {
        if (w.events.length === 0) continue;
        written.add(w.streamId);
        const metadata: EventMetadata = { ...this.#c.metadata, ...w.metadata, causationId: messageId };
        const events: StoredEvent[] = w.events.map((e, i) => ({
          type: e.type,
          data: e.data,
          eventId: eventIdFor(messageId, w.streamId, i),
          metadata: i === 0 && w.firstEventMetadata ? { ...metadata, ...w.firstEventMetadata } : metadata,
        }));
        eventCount += events.length;
        stored.set(w.streamId, events);
        append.push({ streamId: w.streamId, expectedVersion: w.expectedVersion, events });
        const projection = this.#c.cache.projectionOf(w.streamId);
        if (!projection) continue; // not cached: nothing to advance
        const seen = view.peek(w.streamId);
        const overlaid = overlay.get(w.streamId);
        if (overlaid && seen?.version === w.expectedVersion) deps.add(overlaid.by);
        const base =
          seen?.version === w.expectedVersion
            ? seen
            : w.base?.version === w.expectedVersion
              ? w.base
              : w.expectedVersion === 0
                ? { state: projection.initial, version: 0 }
                : undefined;
        if (!base) throw new UnexplainedWriteError(w.streamId, w.expectedVersion);
        after.set(w.streamId, this.#c.cache.evolve(w.streamId, base, events));
      }
    }
    // What the decision read and does not write is asserted at the version it read.
    for (const [streamId, version] of view.reads) {
      if (!written.has(streamId)) append.push({ streamId, expectedVersion: version, events: [] });
    }
    return { index, decision, append, after, stored, eventCount, deps };
  }

  /**
   * The outcome of a prepared decision given its append's result (undefined: nothing to append; "stale":
   * some of its events were already stored).
   */
  #settle(p: Prepared, result: AppendResult | Error | "stale" | undefined): Settled {
    if (result instanceof WrongExpectedVersionError) {
      this.#stats.conflicts++;
      return { kind: "again", fresh: [result.streamId] };
    }
    if (result instanceof Error) return { kind: "done", outcome: result, effects: [] };
    if (result === "stale" || (result && result.written < p.eventCount)) {
      // Some events were already stored: this input was decided before (by us or another replica) from
      // a state we did not have. Read the streams and decide again: the wiring will see it as a replay.
      return { kind: "again", fresh: [...p.stored.keys()] };
    }
    for (const [streamId, folded] of p.after) this.#c.cache.set(streamId, folded);
    const d = p.decision;
    switch (d.kind) {
      case "write": {
        this.#stats.decisions++;
        const committed: Committed = {
          events: (streamId) => p.stored.get(streamId) ?? [],
          state: <S>(streamId: string) => p.after.get(streamId)?.state as S | undefined,
        };
        return { kind: "done", outcome: undefined, effects: d.effects?.(committed) ?? [] };
      }
      case "noop":
        this.#stats.noops++;
        return { kind: "done", outcome: undefined, effects: d.effects ?? [] };
      case "refused":
        this.#stats.refused++;
        return {
          kind: "done",
          outcome: d.deadLetter ? new PoisonMessageError(d.error.message, { cause: d.error }) : undefined,
          effects: [],
        };
      default: {
        const unknown: never = d;
        throw new Error(`unknown decision ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** All effects in flight at once; an input whose publish failed is redelivered (and replayed). */
  #publish(index: number, effects: readonly Effect[], outcomes: InputOutcome[]): Promise<void> {
    this.#stats.effects += effects.length;
    return Promise.all(
      effects.map((e) =>
        this.#c.publish(e).then(
          () => undefined,
          (err: unknown) => {
            outcomes[index] = new TransientError(`publishing ${e.subject} failed`, { cause: err });
          },
        ),
      ),
    ).then(() => undefined);
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

interface AppendGroup {
  readonly members: readonly Prepared[];
  readonly append: StreamAppend[];
  readonly eventCount: number;
}

/**
 * Decisions joined with the earlier ones they built on (transitively), each group as one atomic append:
 * per stream, the first member's expected version and every member's events in order.
 */
function groupByDependency(prepared: readonly Prepared[]): AppendGroup[] {
  const parent = prepared.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]!]!;
      i = parent[i]!;
    }
    return i;
  };
  prepared.forEach((p, i) => {
    for (const d of p.deps) parent[find(i)] = find(d);
  });
  const byRoot = new Map<number, Prepared[]>();
  prepared.forEach((p, i) => {
    const root = find(i);
    byRoot.set(root, [...(byRoot.get(root) ?? []), p]);
  });
  return [...byRoot.values()].map((members) => {
    if (members.length === 1)
      return { members, append: members[0]!.append, eventCount: members[0]!.eventCount };
    const streams = new Map<
      string,
      { expectedVersion: StreamAppend["expectedVersion"]; events: NewEvent[] }
    >();
    for (const m of members) {
      for (const a of m.append) {
        const s = streams.get(a.streamId);
        if (s) s.events.push(...a.events);
        else streams.set(a.streamId, { expectedVersion: a.expectedVersion, events: [...a.events] });
      }
    }
    return {
      members,
      append: [...streams].map(([streamId, s]) => ({ streamId, ...s })),
      eventCount: members.reduce((n, m) => n + m.eventCount, 0),
    };
  });
}
