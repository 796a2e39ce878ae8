// The queue decider as the given/when/then harness uses it: a queue with no history starts empty.
import { describe, expect, it } from "vitest";
import { EMPTY_QUEUE, queueDecider } from "../src/index.js";
import { queueSpec } from "../src/testing/index.js";

describe("queue decider from no history", () => {
  it("given a queue with no events, when a caller enqueues, then they are queued first", () => {
    expect(queueDecider.initialState()).toEqual(EMPTY_QUEUE);
    queueSpec
      .given([])
      .when({ type: "Enqueue", callId: "c1", enqueuedAt: 5, maxSize: 10 })
      .then([{ type: "CallerQueued", data: { callId: "c1", enqueuedAt: 5 } }]);
  });

  it("given a queue with no events, when a caller leaves, then nothing happens (they were never queued)", () => {
    queueSpec.given([]).when({ type: "Leave", callId: "c1", reason: "callerHungUp", at: 5 }).thenNothing();
  });
});
