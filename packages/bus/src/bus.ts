import type { Context } from "@opentelemetry/api";
import { redactUrl } from "@switchyard/config";
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type NatsConnection,
  NatsError,
  nanos,
  headers as natsHeaders,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "nats";
import {
  busActivity,
  confirmedUpTo,
  expectedIn,
  localView,
  onBusActivity,
  published,
  trackPublish,
} from "./activity.js";
import {
  type BatchConsumeOptions,
  type ConsumeOptions,
  type ConsumerHandle,
  startBatchConsumer,
  startConsumer,
} from "./consume.js";
import { BusConfigConflictError, BusUnreachableError } from "./errors.js";
import { type KeyValue, type KvOptions, natsKeyValue } from "./key-value.js";
import { assertLogicalSubject, type BusNames, busNames } from "./naming.js";
import { inboxPrefixOf } from "./permissions.js";
import { PipelinedPublisher } from "./publisher.js";
import type { ConsumerSpec, StreamSpec } from "./specs.js";
import { injectTrace } from "./trace.js";

export { redactUrl };

export interface BusOptions {
  /** e.g. `nats://127.0.0.1:4222`; credentials in the URL are used but never printed. */
  readonly url: string;
  /** Connection name shown by the server (`nats server report connections`). */
  readonly name?: string;
  /** Isolates one deployment or test suite; see naming.ts. */
  readonly prefix: string;
  /** Bound on the initial connect attempt. */
  readonly connectTimeoutMs?: number;
  /** Bound on waiting for a publish acknowledgement. */
  readonly publishTimeoutMs?: number;
  /**
   * Replicas of the streams this bus creates (default 1). 3 on a three-node JetStream cluster, so that an
   * acknowledged publish survives the loss of a server. Existing streams are updated to it.
   */
  readonly replicas?: number;
}

export interface PublishOptions {
  /** `Nats-Msg-Id`: repeated ids inside the stream's duplicate window are dropped. Always required. */
  readonly msgId: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Explicit W3C trace context (e.g. stored with an event); wins over `context`. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** Context to inject through the registered propagator; defaults to the active context. */
  readonly context?: Context;
  /** Optimistic concurrency on the subject (`Nats-Expected-Last-Subject-Sequence`). */
  readonly expectLastSubjectSequence?: number;
}

export interface PublishAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface Bus {
  readonly names: BusNames;
  /**
   * The server(s) this bus talks to, as given without credentials. This process's counts of work in flight
   * (see quiescent) are kept per server: two runs in one process on two servers reuse stream names.
   */
  readonly server: string;
  /** Creates each stream, or updates it when it exists with a compatible configuration. Idempotent. */
  ensureStreams(specs: readonly StreamSpec[]): Promise<void>;
  /** Creates the durable consumer, or updates its mutable settings when it exists. Idempotent. */
  ensureConsumer(spec: ConsumerSpec): Promise<void>;
  /**
   * JSON-encodes and publishes to a logical subject. Returns the ack promise without waiting on anything
   * else, so callers can keep many publishes in flight; publishes leave in call order on one connection.
   */
  publish(subject: string, payload: unknown, options: PublishOptions): Promise<PublishAck>;
  /** Declares the consumer and processes its messages until `stop()`. */
  consume<T = unknown>(options: ConsumeOptions<T>): Promise<ConsumerHandle>;
  /** Declares the consumer and hands its messages to the handler in batches until `stop()`. */
  consumeBatches<T = unknown>(options: BatchConsumeOptions<T>): Promise<ConsumerHandle>;
  /**
   * A key-value bucket (created if missing). Bucket names are deployment-wide: build them from
   * `names.prefix` so that deployments and test suites sharing one server stay apart.
   */
  keyValue<T>(bucket: string, options?: KvOptions): Promise<KeyValue<T>>;
  /** Deletes every stream of this prefix, key-value buckets under the prefix included (test clean-up). */
  deleteStreams(): Promise<void>;
  /** Removes a durable consumer of a logical stream; a missing one is not an error. */
  deleteConsumer(stream: string, durable: string): Promise<void>;
  /**
   * True when nothing of this deployment (prefix) is in flight on the bus: no publish of this process awaits
   * its acknowledgement, no delivered message of this process is unsettled, no message this process published
   * waits for a consumer of this process, and on the server every consumer of the prefix's streams and
   * key-value buckets has nothing pending and nothing unacknowledged. For the virtual clock (simulations,
   * tests). False at once, without asking the server, while `busyHere()`; otherwise one request to the
   * server (the streams' last sequences and consumer counts), plus one per stream whose activity this process
   * cannot account for (a consumer or a publish of another process, a consumer that has just started). The
   * local counts of consumers are kept only while an `onActivity` listener is registered (the virtual clock's
   * probe): without one, every stream with consumers is asked.
   */
  quiescent(): Promise<boolean>;
  /** Synchronous and local: true while this process has bus work of this prefix in flight (see quiescent). */
  busyHere(): boolean;
  /** Calls `listener` after every change of this process's bus activity (any prefix); returns its removal. */
  onActivity(listener: () => void): () => void;
  /** True once the connection is closed for good (health checks). */
  isClosed(): boolean;
  /** Round trip to the server in ms (readiness checks). */
  rtt(): Promise<number>;
  /** Flushes pending publishes and closes the connection. */
  close(): Promise<void>;
}

function reasonOf(err: unknown): string {
  if (err instanceof NatsError) {
    const inner = err.chainedError?.message;
    return inner && inner !== err.code ? `${err.code} (${inner})` : err.code;
  }
  if (err instanceof Error) return err.message.split("\n")[0] ?? err.name;
  return String(err);
}

export async function connectBus(options: BusOptions): Promise<Bus> {
  const names = busNames(options.prefix);
  const shownUrl = redactUrl(options.url);
  // Credentials travel in the URL (nats://user:password@host:port, from a secret): handed to the client as
  // user/pass, and a user gets a private inbox prefix, so least-privilege permissions can confine its replies.
  const { servers, user, pass } = splitCredentials(options.url);
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      ...(user === undefined ? {} : { user, pass: pass ?? "", inboxPrefix: inboxPrefixOf(user) }),
      ...(options.name === undefined ? {} : { name: options.name }),
      timeout: options.connectTimeoutMs ?? 2_000,
      // Only the first connect fails fast; once up, ride out server restarts.
      waitOnFirstConnect: false,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // nats.js otherwise builds an Error (a stack trace) for every request and JetStream publish, in case it
      // times out: about 6% of a router's CPU under load. Our errors say which operation failed anyway.
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new BusUnreachableError(shownUrl, reasonOf(err), { cause: err });
  }
  const jsm = await nc.jetstreamManager();
  const timeoutMs = options.publishTimeoutMs ?? 5_000;
  const js = nc.jetstream({ timeout: timeoutMs });
  const publisher = new PipelinedPublisher(
    nc,
    timeoutMs,
    user === undefined ? undefined : inboxPrefixOf(user),
  );
  return new NatsBus(names, servers, nc, js, jsm, publisher, options.replicas ?? 1);
}

function splitCredentials(url: string): { servers: string; user?: string; pass?: string } {
  try {
    const u = new URL(url);
    if (!u.username) return { servers: url };
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    u.username = "";
    u.password = "";
    return { servers: u.toString().replace(/\/$/, ""), user, pass };
  } catch {
    return { servers: url };
  }
}

function isNotFound(err: unknown): boolean {
  return err instanceof NatsError && (err.api_error?.err_code === 10059 || err.api_error?.err_code === 10014);
}

class NatsBus implements Bus {
  readonly #encoder = new TextEncoder();

  constructor(
    readonly names: BusNames,
    readonly server: string,
    readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly publisher: PipelinedPublisher,
    private readonly replicas: number,
  ) {}

  async ensureStreams(specs: readonly StreamSpec[]): Promise<void> {
    for (const spec of specs) await this.#ensureStream(spec);
  }

  async #ensureStream(spec: StreamSpec): Promise<void> {
    for (const s of spec.subjects) assertLogicalSubject(s, true);
    const name = this.names.stream(spec.name);
    const wanted: Partial<StreamConfig> = {
      name,
      subjects: spec.subjects.map((s) => this.names.subject(s)),
      retention: spec.retention === "workqueue" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: spec.storage === "memory" ? StorageType.Memory : StorageType.File,
      num_replicas: this.replicas,
      ...(spec.duplicateWindowMs === undefined ? {} : { duplicate_window: nanos(spec.duplicateWindowMs) }),
      ...(spec.maxAgeMs === undefined ? {} : { max_age: nanos(spec.maxAgeMs) }),
      ...(spec.maxBytes === undefined ? {} : { max_bytes: spec.maxBytes }),
      ...(spec.description === undefined ? {} : { description: spec.description }),
    };
    let existing: StreamConfig | undefined;
    try {
      existing = (await this.jsm.streams.info(name)).config;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      try {
        await this.jsm.streams.add(wanted);
        return;
      } catch (err) {
        // Another instance declared it between our info and add: fall through to the update path.
        if (!(err instanceof NatsError && err.api_error?.err_code === 10058)) throw err;
        existing = (await this.jsm.streams.info(name)).config;
      }
    }
    if (existing.retention !== wanted.retention || existing.storage !== wanted.storage) {
      throw new BusConfigConflictError(
        `stream ${name} exists with retention=${existing.retention} storage=${existing.storage}, ` +
          `declared retention=${wanted.retention} storage=${wanted.storage}; these cannot be changed in place`,
      );
    }
    const same =
      JSON.stringify([...existing.subjects].sort()) === JSON.stringify([...(wanted.subjects ?? [])].sort()) &&
      (wanted.duplicate_window === undefined || existing.duplicate_window === wanted.duplicate_window) &&
      (wanted.max_age === undefined || existing.max_age === wanted.max_age) &&
      (wanted.max_bytes === undefined || existing.max_bytes === wanted.max_bytes) &&
      (wanted.description === undefined || existing.description === wanted.description) &&
      existing.num_replicas === wanted.num_replicas;
    if (same) return;
    try {
      await this.jsm.streams.update(name, { ...existing, ...wanted });
    } catch (err) {
      throw new BusConfigConflictError(`stream ${name} cannot be updated to the declared configuration`, {
        cause: err,
      });
    }
  }

  async ensureConsumer(spec: ConsumerSpec): Promise<void> {
    if (spec.filterSubject !== undefined) assertLogicalSubject(spec.filterSubject, true);
    const stream = this.names.stream(spec.stream);
    const filter = spec.filterSubject === undefined ? undefined : this.names.subject(spec.filterSubject);
    const mutable = {
      ack_wait: nanos(spec.ackWaitMs),
      max_deliver: spec.maxDeliver,
      max_ack_pending: spec.maxAckPending ?? 1_000,
    };
    let existing: Awaited<ReturnType<JetStreamManager["consumers"]["info"]>> | undefined;
    try {
      existing = await this.jsm.consumers.info(stream, spec.durable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      try {
        await this.jsm.consumers.add(stream, {
          durable_name: spec.durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: spec.deliverPolicy === "new" ? DeliverPolicy.New : DeliverPolicy.All,
          ...(filter === undefined ? {} : { filter_subject: filter }),
          ...mutable,
        });
        return;
      } catch (err) {
        if (!(err instanceof NatsError && err.api_error?.err_code === 10148)) throw err;
        existing = await this.jsm.consumers.info(stream, spec.durable);
      }
    }
    const cfg = existing.config;
    if ((cfg.filter_subject || undefined) !== filter) {
      throw new BusConfigConflictError(
        `consumer ${stream}/${spec.durable} exists with filter ${cfg.filter_subject ?? "(none)"}, declared ${filter ?? "(none)"}`,
      );
    }
    if (
      cfg.ack_wait === mutable.ack_wait &&
      cfg.max_deliver === mutable.max_deliver &&
      cfg.max_ack_pending === mutable.max_ack_pending
    ) {
      return;
    }
    try {
      await this.jsm.consumers.update(stream, spec.durable, mutable);
    } catch (err) {
      throw new BusConfigConflictError(`consumer ${stream}/${spec.durable} cannot be updated`, {
        cause: err,
      });
    }
  }

  publish(subject: string, payload: unknown, options: PublishOptions): Promise<PublishAck> {
    if (!options.msgId) return Promise.reject(new TypeError("publish requires a msgId"));
    const h = natsHeaders();
    for (const [k, v] of Object.entries(options.headers ?? {})) h.set(k, v);
    injectTrace(
      h,
      {
        ...(options.traceparent === undefined ? {} : { traceparent: options.traceparent }),
        ...(options.tracestate === undefined ? {} : { tracestate: options.tracestate }),
      },
      options.context,
    );
    if (options.expectLastSubjectSequence !== undefined)
      h.set("Nats-Expected-Last-Subject-Sequence", String(options.expectLastSubjectSequence));
    h.set("Nats-Msg-Id", options.msgId);
    const data = this.#encoder.encode(JSON.stringify(payload));
    const full = this.names.subject(subject);
    return trackPublish(() =>
      this.publisher.publish(full, data, h).then((ack) => {
        // Inside the tracked publish: the consumers here expect it before the publish counts as done.
        published(`${this.server} ${ack.stream}`, full, ack.seq, ack.duplicate);
        return ack;
      }),
    );
  }

  async consume<T = unknown>(options: ConsumeOptions<T>): Promise<ConsumerHandle> {
    await this.ensureConsumer(options);
    return startConsumer(this, this.js, options, await this.#terminatedRemover(options.stream));
  }

  async consumeBatches<T = unknown>(options: BatchConsumeOptions<T>): Promise<ConsumerHandle> {
    await this.ensureConsumer(options);
    return startBatchConsumer(this, this.js, options, await this.#terminatedRemover(options.stream));
  }

  async #terminatedRemover(logicalStream: string): Promise<((seq: number) => Promise<void>) | undefined> {
    const stream = this.names.stream(logicalStream);
    const { config } = await this.jsm.streams.info(stream);
    return config.retention === RetentionPolicy.Workqueue
      ? async (seq: number) => {
          await this.jsm.streams.deleteMessage(stream, seq, false).catch(() => false);
        }
      : undefined;
  }

  async keyValue<T>(bucket: string, options: KvOptions = {}): Promise<KeyValue<T>> {
    const kv = await this.js.views.kv(bucket, {
      history: options.history ?? 1,
      ...(options.ttlMs === undefined ? {} : { ttl: options.ttlMs }),
    });
    return natsKeyValue<T>(bucket, kv, this.server);
  }

  async deleteStreams(): Promise<void> {
    const own = this.names.stream("X").slice(0, -1);
    // The platform's buckets under this prefix (`<prefix>_presence`, `<prefix>_gw_<id>`). Prefixes may hold
    // `_`, so only these two shapes are taken: a prefix `a` must not delete the buckets of a prefix `a_b`.
    const presence = `KV_${this.names.prefix}_presence`;
    const gateways = `KV_${this.names.prefix}_gw_`;
    const lister = this.jsm.streams.names();
    const doomed: string[] = [];
    for await (const name of lister)
      if (name.startsWith(own) || name === presence || name.startsWith(gateways)) doomed.push(name);
    for (const name of doomed)
      await this.jsm.streams.delete(name).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
  }

  async deleteConsumer(stream: string, durable: string): Promise<void> {
    await this.jsm.consumers.delete(this.names.stream(stream), durable).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }

  /** Full-name prefixes of this deployment's streams and key-value buckets. */
  get #own(): readonly string[] {
    return [this.names.stream("X").slice(0, -1), `KV_${this.names.prefix}_`];
  }

  /** A stream's key in this process's counts (activity.ts). */
  #key(stream: string): string {
    return `${this.server} ${stream}`;
  }

  busyHere(): boolean {
    const local = busActivity();
    return local.publishing > 0 || local.handling > 0 || expectedIn(this.#own.map((p) => this.#key(p))) > 0;
  }

  onActivity(listener: () => void): () => void {
    return onBusActivity(listener);
  }

  async quiescent(): Promise<boolean> {
    if (this.busyHere()) return false;
    const before = busActivity().changes;
    const own = this.#own;
    // One request (a page per 256 streams): every stream's last sequence and consumer count.
    const streams: Array<{ name: string; lastSeq: number; consumers: number }> = [];
    for await (const info of this.jsm.streams.list())
      if (own.some((p) => info.config.name.startsWith(p)))
        streams.push({
          name: info.config.name,
          lastSeq: info.state.last_seq,
          consumers: info.state.consumer_count,
        });
    for (const stream of streams) {
      const here = localView(this.#key(stream.name));
      // Every consumer of the stream is one of this process's, each covered by the local counts, and nothing
      // was stored on it that this process did not account for: the local counts saying idle is the answer.
      if (
        here.consumers.length === stream.consumers &&
        here.consumers.every((c) => c.verified) &&
        stream.lastSeq <= here.accounted
      )
        continue;
      let consumers: Awaited<ReturnType<JetStreamManager["consumers"]["info"]>>[];
      try {
        consumers = await this.jsm.consumers.list(stream.name).next();
      } catch (err) {
        if (isNotFound(err)) continue; // deleted meanwhile (a test's clean-up)
        throw err;
      }
      // nats-server lists a consumer being created or deleted as null: not known to be idle, so not quiescent
      // (the clock observes again).
      for (const c of consumers as ReadonlyArray<(typeof consumers)[number] | null>)
        if (!c || (!abandoned(c) && (c.num_pending > 0 || c.num_ack_pending > 0))) return false;
      if (busActivity().changes !== before) return false;
      confirmedUpTo(this.#key(stream.name), stream.lastSeq);
    }
    return busActivity().changes === before;
  }

  isClosed(): boolean {
    return this.connection.isClosed();
  }

  rtt(): Promise<number> {
    return this.connection.rtt();
  }

  async close(): Promise<void> {
    if (this.connection.isClosed()) return;
    await this.connection.drain();
  }
}

/**
 * An ephemeral push consumer nobody is subscribed to: what nats.js leaves behind after listing a bucket's keys
 * (`kv.keys()` reads an ordered consumer to its end and unsubscribes; the server removes the consumer only
 * after its inactivity threshold, 5 s). A message stored meanwhile shows as pending on it, but nothing will
 * ever be delivered there: it is not work in flight. Counting it held the virtual clock still for up to 5 s
 * of real time after every media gateway's start (it lists its calls to recover them).
 */
function abandoned(c: { config: { durable_name?: string; deliver_subject?: string }; push_bound?: boolean }) {
  return !c.config.durable_name && c.config.deliver_subject !== undefined && c.push_bound !== true;
}
