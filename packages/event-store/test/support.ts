import { randomUUID } from "node:crypto";
import {
  dropSchema,
  type EventStoreHandle,
  type NewEvent,
  type OpenedEventStore,
  openEventStore,
  openMemoryEventStore,
} from "../src/index.js";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export function randomSchema(prefix = "es_test"): string {
  return `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
}

export function newEvent(type = "Something", data: unknown = { n: 1 }): NewEvent {
  return { eventId: randomUUID(), type, data, metadata: { correlationId: "c-1" } };
}

export function events(n: number, type = "Something"): NewEvent[] {
  return Array.from({ length: n }, (_, i) => newEvent(type, { i }));
}

/** Opens a store for one suite and cleans it up afterwards. */
export interface StoreFactory<T extends EventStoreHandle = OpenedEventStore> {
  readonly name: string;
  open(): Promise<T>;
  cleanup(): Promise<void>;
}

export function pgFactory(options: { poolSize?: number } = {}): StoreFactory {
  const schema = randomSchema();
  const opened: OpenedEventStore[] = [];
  return {
    name: "pg",
    async open() {
      const store = await openEventStore({ url: DATABASE_URL, schema, poolSize: options.poolSize ?? 25 });
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.map((o) => o.close()));
      await dropSchema(DATABASE_URL, schema);
    },
  };
}

export function pgliteFactory(): StoreFactory {
  const opened: OpenedEventStore[] = [];
  return {
    name: "pglite",
    async open() {
      const store = await openEventStore({ schema: randomSchema() });
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.map((o) => o.close()));
    },
  };
}

export function memoryFactory(): StoreFactory<EventStoreHandle> {
  const opened: EventStoreHandle[] = [];
  return {
    name: "memory",
    async open() {
      const store = openMemoryEventStore({ schema: randomSchema() });
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.map((o) => o.close()));
    },
  };
}
