import { describe, expect, it } from "vitest";
import {
  busNames,
  deadLetterSubject,
  defaultBackoffMs,
  eventCategorySubject,
  eventSubject,
  InvalidBusNameError,
  redactUrl,
  splitStreamId,
} from "../src/index.js";

describe("naming", () => {
  it("prefixes stream names and subjects, and strips the subject prefix back off", () => {
    const n = busNames("sy");
    expect(n.stream("EVENTS")).toBe("SY-EVENTS");
    expect(n.stream("LEG_COMMANDS")).toBe("SY-LEG_COMMANDS");
    expect(n.subject("evt.call.1")).toBe("sy.evt.call.1");
    expect(n.logicalSubject("sy.evt.call.1")).toBe("evt.call.1");
    expect(busNames("sy_x").stream("EVENTS")).not.toBe(n.stream("X_EVENTS"));
  });

  it("rejects prefixes and stream names that would break isolation", () => {
    for (const bad of ["", "Sy", "s.y", "s-y", "1sy", "s y", "s>"]) {
      expect(() => busNames(bad)).toThrow(InvalidBusNameError);
    }
    expect(() => busNames("sy").stream("EV-ENTS")).toThrow(InvalidBusNameError);
    expect(() => busNames("sy").stream("events")).toThrow(InvalidBusNameError);
  });

  it("takes the category before the first dash and keeps the rest of the id", () => {
    expect(splitStreamId("call-123")).toEqual({ category: "call", id: "123" });
    expect(eventSubject("call-123")).toBe("evt.call.123");
    expect(eventSubject("agent-3f2a-b9c1")).toBe("evt.agent.3f2a-b9c1");
    expect(eventSubject("queue-a.b*c>d e")).toBe("evt.queue.a%2Eb%2Ac%3Ed%20e");
    expect(eventSubject("lonely")).toBe("evt.lonely.%");
    expect(eventCategorySubject("call")).toBe("evt.call.>");
    expect(deadLetterSubject("EVENTS", "router")).toBe("dlq.EVENTS.router");
  });

  it("backs off exponentially up to a cap", () => {
    expect([1, 2, 3, 4].map(defaultBackoffMs)).toEqual([100, 200, 400, 800]);
    expect(defaultBackoffMs(30)).toBe(30_000);
  });

  it("removes credentials from URLs", () => {
    expect(redactUrl("nats://alice:s3cret@10.0.0.1:4222")).toBe("nats://alice:***@10.0.0.1:4222");
    expect(redactUrl("nats://127.0.0.1:4222")).toBe("nats://127.0.0.1:4222");
  });
});
