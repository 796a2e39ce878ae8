import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { CONFIG_STREAM } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendContactCentre, loadContactCentre } from "../src/index.js";

const URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `cc_apply_${randomBytes(4).toString("hex")}`;
const demo = loadContactCentre(resolve(import.meta.dirname, "../../../examples/demo-contact-centre.yaml"));
let es: OpenedEventStore;

beforeAll(async () => {
  es = await openEventStore({ url: URL, schema });
});

afterAll(async () => {
  await es.close();
  await dropSchema(URL, schema);
});

describe("the config write path", () => {
  it("appends the declared contact centre once; applying it again writes nothing", async () => {
    const first = await appendContactCentre(es.store, demo);
    expect(first).toBeGreaterThan(0);
    const stored = await es.store.readStream(CONFIG_STREAM);
    expect(stored).toHaveLength(first);
    expect(stored.every((e) => e.metadata.actor === "switchyard")).toBe(true);
    expect(await appendContactCentre(es.store, demo)).toBe(0);
    expect(await es.store.readStream(CONFIG_STREAM)).toHaveLength(first);
  });

  it("decides again on the stream as it is when another writer got there first", async () => {
    const other = await openEventStore({ url: URL, schema: `${schema}_b` });
    try {
      // Two writers load the same contact centre at once into an empty stream: exactly one set of events.
      const [a, b] = await Promise.all([
        appendContactCentre(other.store, demo, { actor: "a" }),
        appendContactCentre(other.store, demo, { actor: "b" }),
      ]);
      const events = await other.store.readStream(CONFIG_STREAM);
      expect(a + b).toBe(events.length);
      expect([a, b].filter((n) => n === 0)).toHaveLength(1);
    } finally {
      await other.close();
      await dropSchema(URL, `${schema}_b`);
    }
  });
});
