// A caller queued in "sales", whose queue offers callbacks, taken through a call back step by step: shared by
// the callback tests (what keeps the caller's place, and what goes wrong).
import type { ConfigCommand } from "../../src/index.js";
import { connectToGroup, group, worldWith } from "./fixtures.js";
import { BUSINESS, CALLER, sec, type World } from "./world.js";

export const CALLBACK = { offerAfterSec: 30, key: "9", maxAttempts: 2, retryAfterSec: 300 };

export interface QueuedOptions {
  readonly strategy?: "longestIdle" | "simultaneous";
  readonly announcePosition?: boolean;
  readonly account?: ConfigCommand;
  readonly from?: string;
}

/** ann and bob are busy; c1 queues in "sales", which offers callbacks. */
export function queued(o: QueuedOptions = {}): World {
  const w = worldWith({
    ...(o.account ? { account: o.account } : {}),
    applets: connectToGroup("sales"),
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

export const timer = (w: World, kind: Parameters<World["timer"]>[1], at: number) =>
  w.run("c1", { type: "TimerFired", timerId: w.timer("c1", kind), now: sec(at) });
export const press = (w: World, digits: string, at: number) => {
  for (const digit of digits) w.run("c1", { type: "DtmfReceived", digit, now: sec(at) });
};
export const prompts = (w: World) =>
  w
    .events("c1")
    .flatMap((e) =>
      e.type === "PlaybackStarted" && e.data.purpose === "callbackPrompt" && e.data.audio.kind === "tts"
        ? [e.data.audio.text]
        : [],
    );

/** c1 accepts a callback on their own number and the goodbye plays out; the caller's line goes. */
export function requested(o: QueuedOptions = {}): World {
  const w = queued(o);
  timer(w, "callbackOffer", 31);
  press(w, "91", 35);
  const goodbye = w.lastPlayback("c1");
  w.run("c1", { type: "PlaybackFinished", playbackId: goodbye, now: sec(38) });
  w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(38) });
  return w;
}

/** ann is freed; the callback rings her, she answers after the whisper: the customer is dialled. */
export function dialling(w = requested()): World {
  w.agent("ann", { type: "Release", callId: "x-ann", now: sec(100), reason: "done" });
  w.run("c1", { type: "OfferAgent", agentId: "ann", now: sec(100) });
  w.run("c1", { type: "LegAnswered", legId: w.legOf("c1", "ann"), now: sec(104) });
  w.run("c1", { type: "PlaybackFinished", playbackId: w.lastPlayback("c1"), now: sec(106) });
  return w;
}

export const customerLeg = (w: World) => w.legOf("c1", undefined);
