import { KeyedLock } from "@switchyard/event-store";
import { describe, expect, it } from "vitest";
import { eventIdFor, uuidFrom } from "../src/index.js";

describe("ids", () => {
  it("derives the same uuid from the same name and different ones otherwise", () => {
    const id = eventIdFor("m-1", "call-1", 0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdFor("m-1", "call-1", 0)).toBe(id);
    expect(
      new Set([id, eventIdFor("m-1", "call-1", 1), eventIdFor("m-1", "agent-1", 0), uuidFrom("m-2")]).size,
    ).toBe(4);
  });

  it("runs work for one key one at a time, in order, even after a failure", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const step =
      (name: string, fail = false) =>
      async () => {
        log.push(`${name}:start`);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`${name}:end`);
        if (fail) throw new Error(name);
      };
    const a = lock.run("k", step("a", true));
    const b = lock.run("k", step("b"));
    const other = lock.run("j", step("c"));
    await expect(a).rejects.toThrow("a");
    await Promise.all([b, other]);
    expect(log.indexOf("a:end")).toBeLessThan(log.indexOf("b:start"));
    expect(log.indexOf("c:start")).toBeLessThan(log.indexOf("a:end"));
  });
});
