// This process's bus work under way, counted locally so that the virtual clock can tell "busy" without asking
// the server, and wait for a change instead of polling: publishes awaiting their acknowledgement, delivered
// messages not settled yet, and, per consumer of this process, the messages published by this process that
// the consumer has not settled yet (acknowledged or terminated) — those sit on the server between the
// publish acknowledgement and the consumer's pull, where no local handler sees them.
//
// Only a process that watches (the virtual clock's probe: `onBusActivity`) needs the per-consumer sets, and
// only such a process can keep them bounded: an entry leaves when the consumer here settles it or when the
// server confirms the stream (`Bus.quiescent()`), and a production process does neither for a message that
// another process's consumer settles (a shared durable) or that another process published. So the sets are
// kept only while somebody watches; with no watcher, publishes and settlements cost a counter and nothing
// grows. When watching starts, every consumer is unverified again: what happened before is left to the
// server confirmation.
//
// What the local counts cannot see (a publish of another process, a consumer of another process, messages
// that were on a stream before its consumer started here) is found by the server confirmation in
// `Bus.quiescent()`: a stream whose last sequence is beyond what this process accounted for, or whose
// consumers are not all known here, has its consumers asked.

/**
 * Publishes awaiting their acknowledgement, and delivered messages not settled yet (being decoded, waiting in
 * a batch, or in a handler). `changes` counts every start and end, so two looks with the same figure saw no
 * work come and go in between (the virtual clock's quiescence).
 */
export interface BusActivity {
  readonly publishing: number;
  readonly handling: number;
  readonly changes: number;
}

const activity = { publishing: 0, handling: 0, changes: 0 };
const listeners = new Set<() => void>();

export function busActivity(): BusActivity {
  return { ...activity };
}

function changed(): void {
  activity.changes++;
  for (const listener of listeners) listener();
}

/** Calls `listener` after every change of this process's bus activity; returns its removal. */
export function onBusActivity(listener: () => void): () => void {
  const wasWatched = watched();
  listeners.add(listener);
  if (!wasWatched) forgetPerConsumer();
  return () => {
    if (listeners.delete(listener) && !watched()) forgetPerConsumer();
  };
}

/** Whether the per-consumer sets are kept (see the top of this file). */
export function watched(): boolean {
  return listeners.size > 0;
}

/** Drops what the sets hold and what the server confirmed: a watch starting or ending resumes from the server. */
function forgetPerConsumer(): void {
  for (const c of consumers) {
    c.expected.clear();
    c.early.clear();
    c.verified = false;
  }
}

export function publishStarted(): void {
  activity.publishing++;
  changed();
}

export function publishEnded(): void {
  activity.publishing--;
  changed();
}

export function deliveryStarted(): void {
  activity.handling++;
  changed();
}

export function deliveryEnded(): void {
  activity.handling--;
  changed();
}

/** Counts a publish from its start until its acknowledgement (or failure). */
export function trackPublish<T>(publish: () => Promise<T>): Promise<T> {
  publishStarted();
  let p: Promise<T>;
  try {
    p = publish();
  } catch (err) {
    publishEnded();
    throw err;
  }
  return p.finally(publishEnded);
}

// Streams are keyed `<server> <stream name>` (see Bus.server): one process may run on several servers.

/** One consumer of this process (a durable pull consumer, or a key-value watch) as the local counts see it. */
export interface TrackedConsumer {
  /** The stream's key: `<server> <stream name>`. */
  readonly stream: string;
  /** Published here, not settled by this consumer yet. */
  readonly expected: Set<number>;
  /** Settled before this process saw the acknowledgement of their publish (delivery overtook the ack). */
  readonly early: Set<number>;
  /**
   * Whether the server has said once that this consumer had nothing pending or unacknowledged: only from
   * then on do the local counts cover it (what was on the stream before it started is not counted).
   */
  verified: boolean;
  readonly matches: (subject: string) => boolean;
}

const consumers = new Set<TrackedConsumer>();
/** Per stream: the highest sequence this process has accounted for (its own publishes, server confirmations). */
const accounted = new Map<string, number>();

/** NATS subject matching with `*` (one token) and `>` (the rest). */
export function subjectMatches(filter: string, subject: string): boolean {
  if (filter === subject) return true;
  const f = filter.split(".");
  const s = subject.split(".");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== "*" && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}

const shared = new Map<string, { tracked: TrackedConsumer; users: number }>();

/**
 * Starts counting a consumer of `stream` (its key); `filter` undefined: every subject of the stream. Consumers
 * of this process bound to one durable (two routers sharing the `router` consumer) are one consumer here:
 * a message goes to one of them, so it is expected once.
 */
export function trackConsumer(
  stream: string,
  filter: string | undefined,
  durable?: string,
): TrackedConsumer & { remove(): void } {
  const key = durable === undefined ? undefined : `${stream} ${durable}`;
  const existing = key === undefined ? undefined : shared.get(key);
  let tracked: TrackedConsumer;
  if (existing) {
    existing.users++;
    tracked = existing.tracked;
  } else {
    tracked = {
      stream,
      expected: new Set(),
      early: new Set(),
      verified: false,
      matches: filter === undefined ? () => true : (subject) => subjectMatches(filter, subject),
    };
    consumers.add(tracked);
    if (key !== undefined) shared.set(key, { tracked, users: 1 });
    changed();
  }
  let removed = false;
  return Object.assign(Object.create(tracked) as TrackedConsumer, {
    remove() {
      if (removed) return;
      removed = true;
      const entry = key === undefined ? undefined : shared.get(key);
      if (entry && --entry.users > 0) return;
      if (key !== undefined) shared.delete(key);
      if (consumers.delete(tracked)) changed();
    },
  });
}

/** A publish of this process was acknowledged: each consumer here that will receive it expects it. */
export function published(stream: string, subject: string, seq: number, duplicate: boolean): void {
  const before = accounted.get(stream) ?? 0;
  if (seq > before) accounted.set(stream, seq);
  // A duplicate was stored (and counted) when first published.
  if (duplicate || !watched()) return;
  for (const c of consumers) {
    if (c.stream !== stream || !c.matches(subject)) continue;
    if (!c.early.delete(seq)) c.expected.add(seq);
  }
}

/** A consumer settled (acknowledged or terminated) the message at `seq`: it is no longer in flight for it. */
export function settledBy(consumer: TrackedConsumer, seq: number): void {
  if (!watched()) return;
  if (consumer.expected.delete(seq)) {
    changed();
    return;
  }
  // Not expected: either its publish acknowledgement has not been seen yet (remember it), or it was not
  // published by this process after the consumer started (nothing to count).
  if (seq > (accounted.get(consumer.stream) ?? 0)) consumer.early.add(seq);
}

/** Messages published here that consumers of these streams (full-name prefixes) have not settled yet. */
export function expectedIn(streamPrefixes: readonly string[]): number {
  let n = 0;
  for (const c of consumers)
    if (c.expected.size > 0 && streamPrefixes.some((p) => c.stream.startsWith(p))) n += c.expected.size;
  return n;
}

/** What the server confirmation compares with: the consumers of a stream known here, and its accounted sequence. */
export function localView(stream: string): {
  readonly consumers: readonly TrackedConsumer[];
  readonly accounted: number;
} {
  return {
    consumers: [...consumers].filter((c) => c.stream === stream),
    accounted: accounted.get(stream) ?? 0,
  };
}

/**
 * The server said every consumer of `stream` had nothing pending or unacknowledged with its last sequence at
 * `lastSeq`: everything up to it is accounted for, and the local consumers of it are covered from now on.
 */
export function confirmedUpTo(stream: string, lastSeq: number): void {
  if (lastSeq > (accounted.get(stream) ?? 0)) accounted.set(stream, lastSeq);
  // Unwatched, the sets are not kept: a consumer cannot be covered by them.
  if (!watched()) return;
  for (const c of consumers) {
    if (c.stream !== stream) continue;
    c.verified = true;
    // Settled at the server although not settled here is impossible for a consumer of this process; what
    // is left can only be a stale entry (a message removed from the stream): drop it.
    for (const seq of c.expected) if (seq <= lastSeq) c.expected.delete(seq);
    for (const seq of c.early) if (seq <= lastSeq) c.early.delete(seq);
  }
}
