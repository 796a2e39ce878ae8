import { describe, expect, it } from "vitest";
import {
  decodeCallInputMessage as decodeCallInput,
  decodeTimerMessage as decodeTimer,
  MalformedMessageError,
} from "../src/index.js";

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
    [
      "an unknown input",
      message({ type: "Teleport" }),
      /message.input.type is not a call input type \("Teleport"\)/,
    ],
    ["a missing field", message({ type: "LegAnswered" }), /message\.input\.legId must be a non-empty string/],
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
