import { describe, expect, it } from "vitest";
import { callRecords, type LoggedEvent } from "../src/index.js";

const T0 = 1_000_000;
const call = (id: string, type: string, data: Record<string, unknown> = {}): LoggedEvent => ({
  streamId: `call-${id}`,
  type,
  data,
});

describe("per-call records", () => {
  it("given two runs that decided one instant's independent events in another order, then their records are equal", () => {
    const start = call("x1", "CallStarted", { from: "+1", to: "+2", at: T0 });
    const a = [
      start,
      call("x1", "TimerElapsed", { at: T0 + 20_000 }),
      call("x1", "LegEnded", { at: T0 + 20_000 }),
      call("x1", "RoutingDecided"),
    ];
    const b = [
      { ...start, streamId: "call-y9" },
      call("y9", "RoutingDecided", {}),
      call("y9", "TimerElapsed", { at: T0 + 20_000 }),
      call("y9", "LegEnded", { at: T0 + 20_000 }),
    ];
    // b's RoutingDecided carries the start's time (the latest before it): a different instant, so different.
    expect(callRecords(b, T0)).not.toEqual(callRecords(a, T0));
    // The same call (another id) with the two events of the instant at 20 s the other way round: equal.
    const swapped = [start, a[2]!, a[1]!, a[3]!].map((e) => ({ ...e, streamId: "call-z" }));
    expect(callRecords(swapped, T0)).toEqual(callRecords(a, T0));
    expect(callRecords(a, T0)).toEqual([
      {
        startSec: 0,
        from: "+1",
        to: "+2",
        events: ["CallStarted@0", "LegEnded@20", "RoutingDecided@20", "TimerElapsed@20"],
        agents: [],
      },
    ]);
  });

  it("given an agent's events about a call, then they are listed with the call; calls before `since` are left out", () => {
    const events: LoggedEvent[] = [
      call("old", "CallStarted", { from: "+9", to: "+2", at: T0 - 1 }),
      call("n", "CallStarted", { from: "+1", to: "+2", at: T0 + 1_500 }),
      { streamId: "agent-ana", type: "AgentReserved", data: { callId: "n", at: T0 + 1_500 } },
      { streamId: "agent-ana", type: "AgentReserved", data: { callId: "old", at: T0 } },
    ];
    expect(callRecords(events, T0)).toEqual([
      { startSec: 1.5, from: "+1", to: "+2", events: ["CallStarted@1.5"], agents: ["AgentReserved:ana@1.5"] },
    ]);
  });
});
