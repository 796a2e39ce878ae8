// compareDecision compares events as the event store keeps them (JSON): a member the store gives back as
// null is a value like any other, not an object to sort.
import { describe, expect, it } from "vitest";
import { type CallEvent, compareDecision } from "../src/index.js";

describe("compareDecision over JSON values", () => {
  it("given a recorded event holding a null member, when the replay decides the same event, then the decisions compare identical", () => {
    const fromStore = JSON.parse(
      '{"type":"LegRinging","data":{"legId":"l1","at":5,"note":null}}',
    ) as CallEvent;
    const replayed = JSON.parse(
      '{"data":{"note":null,"at":5,"legId":"l1"},"type":"LegRinging"}',
    ) as CallEvent;

    expect(compareDecision([fromStore], [replayed])).toBeUndefined();
  });

  it("given a recorded event holding a null member, when the replay decides a value there instead, then the decisions differ at that event", () => {
    const fromStore = JSON.parse(
      '{"type":"LegRinging","data":{"legId":"l1","at":5,"note":null}}',
    ) as CallEvent;
    const replayed = JSON.parse('{"type":"LegRinging","data":{"legId":"l1","at":5,"note":"x"}}') as CallEvent;

    expect(compareDecision([fromStore], [replayed])).toEqual({ index: 0, recorded: fromStore, replayed });
  });
});
