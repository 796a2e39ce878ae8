import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bus, type KeyValue, type KvEntry, KvRevisionConflictError } from "../src/index.js";
import { natsConnectionOf } from "../src/testing.js";
import { eventually, testBus } from "./helpers.js";

interface Rec {
  readonly n: number;
}

let bus: Bus;
let kv: KeyValue<Rec>;

beforeAll(async () => {
  bus = await testBus();
  kv = await bus.keyValue<Rec>(`${bus.names.prefix}_presence`);
});

afterAll(async () => {
  await bus.deleteStreams();
  await bus.close();
});

describe("key-value port", () => {
  it("creates once, updates only over the revision it read, and says who lost", async () => {
    const r1 = await kv.create("a", { n: 1 });
    await expect(kv.create("a", { n: 2 })).rejects.toBeInstanceOf(KvRevisionConflictError);
    const r2 = await kv.update("a", { n: 2 }, r1);
    await expect(kv.update("a", { n: 3 }, r1)).rejects.toBeInstanceOf(KvRevisionConflictError);
    expect(await kv.get("a")).toEqual({ key: "a", value: { n: 2 }, revision: r2 });
  });

  it("hides deleted and never-written keys, and lists keys by filter", async () => {
    await kv.put("in.x", { n: 1 });
    await kv.put("leg.y", { n: 2 });
    await kv.put("gone", { n: 3 });
    await kv.delete("gone");
    expect(await kv.get("gone")).toBeUndefined();
    expect(await kv.get("never")).toBeUndefined();
    expect(await kv.keys("in.>")).toEqual(["in.x"]);
    expect((await kv.keys()).sort()).toEqual(["a", "in.x", "leg.y"]);
  });

  it("watch delivers current values, then later writes, and reports undecodable values", async () => {
    const seen: KvEntry<Rec>[] = [];
    const bad: string[] = [];
    const watch = kv.watch(
      (e) => seen.push(e),
      (key) => bad.push(key),
    );
    await watch.ready;
    expect(seen.map((e) => e.key).sort()).toEqual(["a", "in.x", "leg.y"]);
    await kv.put("later", { n: 9 });
    // A writer outside the port (another language, a broken client) puts bytes that are not JSON.
    const raw = await natsConnectionOf(bus).jetstream().views.kv(kv.bucket);
    await raw.put("broken", new TextEncoder().encode("{not json"));
    await eventually(
      () =>
        seen.some((e) => e.key === "later" && e.value.n === 9) && bad.includes("broken") ? true : undefined,
      "the later write and the broken value",
    );
    await watch.stop();
  });

  it("deleteStreams removes the prefix's buckets too", async () => {
    const other = await bus.keyValue<Rec>(`${bus.names.prefix}_gw_g1`);
    await other.put("k", { n: 1 });
    await bus.deleteStreams();
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    const names: string[] = [];
    for await (const n of jsm.streams.names()) names.push(n);
    expect(names.filter((n) => n.startsWith(`KV_${bus.names.prefix}_`))).toEqual([]);
  });
});
