// Blobs (uploaded files) on real PostgreSQL and on PGlite: stored whole or not at all, read back in order.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { BlobExistsError, dropSchema, type OpenedEventStore, openEventStore } from "../src/index.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `blobs_int_${randomBytes(4).toString("hex")}`;
const opened: OpenedEventStore[] = [];

afterAll(async () => {
  for (const s of opened) await s.close();
  await dropSchema(DATABASE_URL, schema);
});

describe.each([
  ["PostgreSQL", () => openEventStore({ url: DATABASE_URL, schema, poolSize: 2 })],
  ["PGlite", () => openEventStore({})],
])("blob store on %s", (_name, open) => {
  it("stores chunks atomically, reads them back in order, refuses a taken id, deletes", async () => {
    const store = await open();
    opened.push(store);
    const chunks = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i));
    const info = await store.blobs.put("b1", "audio/wav", chunks);
    expect(info.sizeBytes).toBe(chunks.reduce((n, c) => n + c.length, 0));
    expect(await store.blobs.info("b1")).toEqual(info);
    const back: Uint8Array[] = [];
    for await (const c of store.blobs.read("b1")) back.push(c);
    expect(Buffer.concat(back).equals(Buffer.concat(chunks))).toBe(true);
    await expect(store.blobs.put("b1", "audio/wav", [randomBytes(3)])).rejects.toBeInstanceOf(
      BlobExistsError,
    );
    expect(await store.blobs.delete("b1")).toBe(true);
    expect(await store.blobs.info("b1")).toBeUndefined();
    expect(await store.blobs.delete("b1")).toBe(false);
  });
});
