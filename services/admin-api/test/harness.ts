// An admin API over the real PostgreSQL and NATS (own schema and subject prefix, removed afterwards), with
// agent-presence and the relay running, and generated clients for every service.

import { randomBytes } from "node:crypto";
import { type CallOptions, type Client, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import {
  AccountServiceClient,
  AgentServiceClient,
  AudioServiceClient,
  CallServiceClient,
  FlowServiceClient,
  GroupServiceClient,
  NumberServiceClient,
} from "@switchyard/admin-proto";
import { start as startPresence } from "@switchyard/agent-presence";
import { type Bus, connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { systemClock } from "@switchyard/clock";
import { presenceBucket } from "@switchyard/contracts";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { start as startRelay } from "@switchyard/relay";
import { type AdminApi, type AdminApiConfig, start } from "../src/index.js";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export interface Harness {
  readonly eventStore: OpenedEventStore;
  readonly bus: Bus;
  readonly api: AdminApi;
  readonly account: AccountServiceClient;
  readonly agents: AgentServiceClient;
  readonly groups: GroupServiceClient;
  readonly flows: FlowServiceClient;
  readonly numbers: NumberServiceClient;
  readonly calls: CallServiceClient;
  readonly audio: AudioServiceClient;
  /** Every event in the schema (to check what a request appended). */
  countEvents(): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(
  name: string,
  options: Partial<Pick<AdminApiConfig, "authenticate" | "maxMessageBytes">> & { presence?: boolean } = {},
): Promise<Harness> {
  const id = randomBytes(4).toString("hex");
  const schema = `admin_${name}_${id}`;
  const prefix = `tadm${id}`;
  const eventStore = await openEventStore({ url: DATABASE_URL, schema, poolSize: 4 });
  const bus = await connectBus({ url: NATS_URL, prefix, name: `admin-${name}` });
  const stack: AsyncDisposable[] = [];
  if (options.presence !== false) {
    stack.push(await startRelay({ eventStore, bus, pollIntervalMs: 10, log: () => {} }));
    stack.push(await startPresence({ eventStore, bus, clock: systemClock }));
  }
  const api = await start({
    eventStore,
    bus,
    authenticate: options.authenticate ?? (() => ({ actor: "test", role: "admin" })),
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    log: (level, message, fields) => {
      if (level === "error") console.error(message, fields);
    },
  });
  const creds = credentials.createInsecure();
  const clients = {
    account: new AccountServiceClient(api.target, creds),
    agents: new AgentServiceClient(api.target, creds),
    groups: new GroupServiceClient(api.target, creds),
    flows: new FlowServiceClient(api.target, creds),
    numbers: new NumberServiceClient(api.target, creds),
    calls: new CallServiceClient(api.target, creds),
    audio: new AudioServiceClient(api.target, creds),
  };
  return {
    eventStore,
    bus,
    api,
    ...clients,
    async countEvents() {
      let n = 0;
      let after = { transactionId: 0n, position: 0n };
      for (;;) {
        const page = await eventStore.store.readAll(after, { limit: 1000 });
        n += page.events.length;
        if (page.events.length === 0) return n;
        after = page.checkpoint;
      }
    },
    async close() {
      for (const c of Object.values(clients)) (c as Client).close();
      await api[Symbol.asyncDispose]();
      for (const d of stack.reverse()) await d[Symbol.asyncDispose]();
      const jsm = await natsConnectionOf(bus).jetstreamManager();
      await jsm.streams.delete(`KV_${presenceBucket(prefix)}`).catch(() => false);
      await bus.deleteStreams();
      await bus.close();
      await eventStore.close();
      await dropSchema(DATABASE_URL, schema);
    },
  };
}

// The generated methods' last overload (request, metadata, options, callback), which inference picks.
type Unary<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** Calls a generated client's unary method as a promise. */
export function call<Req, Res>(
  client: Client,
  method: Unary<Req, Res>,
  request: Req,
  metadata = new Metadata(),
  options: Partial<CallOptions> = {},
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, request, metadata, options, (error, response) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

/** The ServiceError a call failed with (fails the test when it succeeded). */
export async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error("expected the call to fail");
}
