// A call back goes wrong in three ways a caller and an agent notice differently: the agent's phone does not take
// the ring (the caller keeps their place, no attempt used), the customer's line fails, or the agent leaves while it rings.
import { describe, expect, it } from "vitest";
import type { ConfigCommand } from "../src/index.js";
import { group, hangup, worldWith } from "./support/fixtures.js";
import { ev } from "./support/match.js";
import { BUSINESS, CALLER, callSpec, sec, type World } from "./support/world.js";

const CALLBACK = { offerAfterSec: 30, key: "9", maxAttempts: 2, retryAfterSec: 300 };

interface QueuedOptions {
  readonly strategy?: "longestIdle" | "simultaneous";
  readonly announcePosition?: boolean;
  readonly account?: ConfigCommand;
  readonly from?: string;
}

/** ann and bob are busy; c1 queues in "sales", which offers callbacks. */
function queued(o: QueuedOptions = {}): World {
  const w = worldWith({
    ...(o.account ? { account: o.account } : {}),
    applets: {
      connect: {
        kind: "connect",
        target: { kind: "group", groupId: "sales" },
        branches: { fallback: "bye" },
      },
      bye: hangup,
    },
    groups: [
      group("sales", o.strategy ?? "longestIdle", ["ann", "bob"], {
        ringTimeoutSec: 20,
        queue: {
          enabled: true,
          maxWaitSec: 120,
          callback: CALLBACK,
          ...(o.announcePosition ? { announcePosition: true, announceEverySec: 20 } : {}),
        },
      }),
    ],
    signIn: ["ann", "bob"],
  });
  for (const a of ["ann", "bob"]) w.agent(a, { type: "Reserve", callId: `x-${a}`, legId: "l", now: sec(0) });
  w.start("c1", o.from ?? CALLER, BUSINESS, sec(1));
  return w;
}

const timer = (w: World, kind: Parameters<World["timer"]>[1], at: number) =>
  w.run("c1", { type: "TimerFired", timerId: w.timer("c1", kind), now: sec(at) });
const press = (w: World, digits: string, at: number) => {
  for (const digit of digits) w.run("c1", { type: "DtmfReceived", digit, now: sec(at) });
};
/** c1 accepts a callback on their own number and the goodbye plays out; the caller's line goes. */
function requested(o: QueuedOptions = {}): World {
  const w = queued(o);
  timer(w, "callbackOffer", 31);
  press(w, "91", 35);
  const goodbye = w.lastPlayback("c1");
  w.run("c1", { type: "PlaybackFinished", playbackId: goodbye, now: sec(38) });
  w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(38) });
  return w;
}

/** ann is freed; the callback rings her, she answers after the whisper: the customer is dialled. */
function dialling(w = requested()): World {
  w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
  w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
  w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(104) });
  w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(106) });
  return w;
}

const customerLeg = (w: World) => w.legOf("c1", undefined);

describe("a call back that goes wrong", () => {
  it("given a callback ringing the agent first, when the agent's phone answers busy, then the caller is back at their place and no callback attempt is used", () => {
    const w = requested();
    w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
    w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
    const busy = callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "busy", now: sec(104) });

    busy.thenIncludes([ev("CallerEnqueued", { groupId: "sales", enqueuedAt: sec(1) })]);
    expect(busy.events.map((e) => e.type)).not.toContain("CallbackAttemptFailed");
  });

  it("given the customer's line is being dialled, when it answers busy, then the failed attempt names the customer's line", () => {
    const w = dialling();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: customerLeg(w), reason: "busy", now: sec(108) })
      .thenIncludes([ev("CallbackAttemptFailed", { attempt: 1, reason: "the customer's line: busy" })]);
  });

  it("given the customer's line is being dialled, when the agent hangs up, then the failed attempt says the agent left", () => {
    const w = dialling();
    callSpec
      .given(w.events("c1"), w.ctx())
      .when({ type: "LegEnded", legId: w.legOf("c1", "ann"), reason: "hungUp", now: sec(108) })
      .thenIncludes([
        ev("LegCancelRequested", { legId: customerLeg(w) }),
        ev("CallbackAttemptFailed", { attempt: 1, reason: "the agent left (hungUp)" }),
      ]);
  });
});
