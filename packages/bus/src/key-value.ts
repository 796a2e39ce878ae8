import type { KV, KvEntry as NatsKvEntry } from "nats";
import { NatsError } from "nats";
import { published, settledBy, trackConsumer, trackPublish } from "./activity.js";

/** One value of a key-value bucket, JSON-decoded, with the bucket revision it was written at. */
export interface KvEntry<T> {
  readonly key: string;
  readonly value: T;
  readonly revision: number;
}

export interface KvOptions {
  /** Values kept per key (default 1). */
  readonly history?: number;
  /** Max age of values (the bucket's TTL); an existing bucket keeps the settings it was created with. */
  readonly ttlMs?: number;
}

/**
 * The key-value port: what services need of a shared, revisioned map (the presence view, the media
 * gateway's command memory), with nothing of the transport in its types. Values are JSON.
 */
export interface KeyValue<T> {
  readonly bucket: string;
  /** The current value, or undefined when the key was never written or was deleted. */
  get(key: string): Promise<KvEntry<T> | undefined>;
  /** Writes a key that must not exist yet; `KvRevisionConflictError` when it does. */
  create(key: string, value: T): Promise<number>;
  /** Writes over `revision` only; `KvRevisionConflictError` when someone else wrote since. */
  update(key: string, value: T, revision: number): Promise<number>;
  put(key: string, value: T): Promise<number>;
  delete(key: string): Promise<void>;
  /** Keys matching a subject-style filter (`in.>`); every key without one. */
  keys(filter?: string): Promise<string[]>;
  /**
   * Every current value, then every later write, to `onEntry` in bucket order until `stop()`. Deletions are
   * not delivered. `decodeFailed` hears a value that is not valid JSON (the watch goes on).
   */
  watch(onEntry: (entry: KvEntry<T>) => void, decodeFailed?: (key: string, error: unknown) => void): KvWatch;
}

export interface KvWatch {
  /** Resolves once the values present when the watch started have been delivered. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** A create or revisioned update lost to another writer. */
export class KvRevisionConflictError extends Error {
  override readonly name = "KvRevisionConflictError";
  constructor(bucket: string, key: string, options?: ErrorOptions) {
    super(`${bucket}/${key} was written by someone else`, options);
  }
}

const encoder = new TextEncoder();
const encode = (v: unknown) => encoder.encode(JSON.stringify(v));

function isRevisionConflict(err: unknown): boolean {
  // 10071: wrong last sequence (create of an existing key, update over a stale revision).
  return (
    err instanceof NatsError &&
    (err.api_error?.err_code === 10071 || /wrong last sequence/i.test(err.message))
  );
}

/** A nats.js KV view behind the port. */
export function natsKeyValue<T>(bucket: string, kv: KV, server = ""): KeyValue<T> {
  const live = (e: NatsKvEntry | null): e is NatsKvEntry =>
    e !== null && e.operation === "PUT" && e.value.length > 0;
  const conflictOr = (key: string) => (err: unknown) => {
    throw isRevisionConflict(err) ? new KvRevisionConflictError(bucket, key, { cause: err }) : err;
  };
  // Writes and watches are counted locally like publishes and consumers (activity.ts): a write is in flight
  // until acknowledged, then until every watch of this process has been handed it.
  const stream = `${server} KV_${bucket}`;
  const written = (key: string) => (revision: number) => {
    published(stream, `$KV.${bucket}.${key}`, revision, false);
    return revision;
  };
  return {
    bucket,
    async get(key) {
      const e = await kv.get(key);
      return live(e) ? { key, value: e.json<T>(), revision: e.revision } : undefined;
    },
    create: (key, value) =>
      trackPublish(() => kv.create(key, encode(value)).then(written(key))).catch(conflictOr(key)),
    update: (key, value, revision) =>
      trackPublish(() => kv.update(key, encode(value), revision).then(written(key))).catch(conflictOr(key)),
    put: (key, value) => trackPublish(() => kv.put(key, encode(value)).then(written(key))),
    // The deletion's sequence is not returned: the server confirmation accounts for it.
    delete: (key) => trackPublish(() => kv.delete(key)),
    async keys(filter) {
      const out: string[] = [];
      for await (const k of await kv.keys(filter ?? ">")) out.push(k);
      return out;
    },
    watch(onEntry, decodeFailed) {
      let stopped = false;
      let markReady: () => void = () => undefined;
      const ready = new Promise<void>((r) => (markReady = r));
      const tracked = trackConsumer(stream, undefined);
      const started = kv.watch({ key: ">", initializedFn: () => markReady() });
      const running = (async () => {
        const iter = await started;
        for await (const e of iter) {
          if (stopped) break;
          try {
            if (!live(e)) continue;
            let value: T;
            try {
              value = e.json<T>();
            } catch (err) {
              decodeFailed?.(e.key, err);
              continue;
            }
            onEntry({ key: e.key, value, revision: e.revision });
          } finally {
            settledBy(tracked, e.revision);
          }
        }
      })().finally(() => tracked.remove());
      return {
        ready,
        async stop() {
          stopped = true;
          (await started).stop();
          await running.catch(() => undefined);
        },
      };
    },
  };
}
