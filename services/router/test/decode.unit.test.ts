import { KeyedLock } from "@switchyard/event-store";
import { describe, expect, it } from "vitest";
import { decodeCallInput, decodeTimer, eventIdFor, MalformedMessageError, uuidFrom } from "../src/index.js";

const message = (input: unknown, extra: Record<string, unknown> = {}) => ({
  messageId: "m-1",
  callId: "c-1",
  at: 1,
  input,
  ...extra,
});

describe("decodeCallInput", () => {
  it("accepts every well-formed input", () => {
    for (const input of [
      { type: "StartCall", callId: "c-1", from: "+14155550100", to: "+14155550000" },
      { type: "LegEnded", legId: "l", reason: "busy" },
      { type: "DtmfReceived", digit: "5" },
      { type: "TimerFired", timerId: "t" },
      { type: "QueueChanged" },
      { type: "RequestTransfer", transferId: "x", mode: "warm", target: { kind: "agent", agentId: "a" } },
      { type: "HangUp", reason: "admin" },
    ]) {
      expect(decodeCallInput(message(input)).input).toEqual(input);
    }
  });

  it.each([
    ["not an object", "hello", /JSON object/],
    ["no message id", { callId: "c-1", at: 1, input: { type: "QueueChanged" } }, /messageId/],
    ["an unknown input", message({ type: "Teleport" }), /unknown call input type "Teleport"/],
    ["a missing field", message({ type: "LegAnswered" }), /input\.legId/],
    ["a bad leg end reason", message({ type: "LegEnded", legId: "l", reason: "bored" }), /leg end reason/],
    [
      "a StartCall for another call",
      message({ type: "StartCall", callId: "c-2", from: "a", to: "b" }),
      /must equal/,
    ],
    [
      "a bad transfer target",
      message({ type: "RequestTransfer", transferId: "x", mode: "warm", target: { kind: "moon" } }),
      /target/,
    ],
  ])("rejects %s with a reason", (_what, json, reason) => {
    expect(() => decodeCallInput(json)).toThrow(MalformedMessageError);
    expect(() => decodeCallInput(json)).toThrow(reason);
  });

  it("checks timers", () => {
    expect(decodeTimer({ timerId: "t", callId: "c", dueAt: 5, agentId: "a" }).agentId).toBe("a");
    expect(() => decodeTimer({ timerId: "t", callId: "c" })).toThrow(/dueAt/);
    const cooldown = { timerId: "t", callId: "c", dueAt: 5, agentId: "a", kind: "cooldownEnd" };
    expect(decodeTimer(cooldown).kind).toBe("cooldownEnd");
    expect(() => decodeTimer({ ...cooldown, kind: "nap" })).toThrow(/wrapUpEnd or cooldownEnd/);
    expect(() => decodeTimer({ timerId: "t", callId: "c", dueAt: 5, kind: "cooldownEnd" })).toThrow(
      /agentId/,
    );
  });
});

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
