import { describe, expect, it } from "vitest";
import { decodeEventMessage, MalformedMessageError } from "../src/index.js";

// What the relay publishes on EVENTS for one stored event (services/relay toEventMessage).
const relayed = {
  id: "0b6f3a52-5a43-4c55-9d38-4a3e4f1f2b10",
  streamId: "agent-a1",
  version: 3,
  type: "AgentReserved",
  data: { callId: "c1", at: 1_700_000_000_000 },
  metadata: { causationId: "m1", correlationId: "c1" },
  recordedAt: "2026-12-01T07:00:00.123Z",
  position: "1234",
  transactionId: "987654",
};

describe("decodeEventMessage", () => {
  it("accepts what the relay publishes, and returns it as it came", () => {
    expect(decodeEventMessage(relayed)).toBe(relayed);
    expect(decodeEventMessage({ ...relayed, data: null, metadata: {} })).toEqual({
      ...relayed,
      data: null,
      metadata: {},
    });
  });

  it.each([
    [null, /event must be a JSON object/],
    [{ ...relayed, streamId: "" }, /event.streamId must be a non-empty string/],
    [{ ...relayed, id: undefined }, /event.id/],
    [{ ...relayed, version: 0 }, /event.version must be a positive integer/],
    [{ ...relayed, version: 1.5 }, /event.version must be a positive integer/],
    [{ ...relayed, type: "Agent\nReserved" }, /event.type must not contain control characters/],
    [{ ...relayed, metadata: "x" }, /event.metadata must be an object/],
    [{ ...relayed, recordedAt: "yesterday" }, /event.recordedAt must be an ISO 8601 time/],
    [{ ...relayed, position: "-1" }, /event.position must be a decimal position/],
    [{ ...relayed, transactionId: 5 }, /event.transactionId must be a decimal transaction id/],
  ])("refuses %j, naming the field", (json, reason) => {
    expect(() => decodeEventMessage(json)).toThrow(MalformedMessageError);
    expect(() => decodeEventMessage(json)).toThrow(reason);
  });
});
