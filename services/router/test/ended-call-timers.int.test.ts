// A call timer that comes due after its call ended is acked by the router as it is (the stream cache knows
// the call ended), not turned into a TimerFired input and a decision that changes nothing. Its own stack, so
// that no other call's timer counts.
import { randomUUID } from "node:crypto";
import { natsConnectionOf } from "@switchyard/bus/testing";
import type { CallInputMessage } from "@switchyard/contracts";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  agents,
  callEvents,
  callInput,
  defineConfig,
  eventually,
  type Stack,
  signInAvailable,
  startStack,
} from "./harness.js";

const NUMBER = "+14155550100";
const CALLER = "+14155559999";
let stack: Stack;

beforeAll(async () => {
  // Speed 40: the 120 s ring timeout comes due 3 s after the call started, well after it ended.
  stack = await startStack({ speed: 40 });
  await defineConfig(stack.eventStore, [
    ...agents(["tim"]),
    {
      type: "DefineGroup",
      groupId: "long",
      name: "Long ring",
      strategy: "simultaneous",
      members: ["tim"],
      ringTimeoutSec: 120,
    },
    {
      type: "DefineFlow",
      flow: {
        flowId: "long",
        name: "Long",
        start: "c",
        applets: {
          c: { kind: "connect", target: { kind: "group", groupId: "long" }, branches: { fallback: "bye" } },
          bye: { kind: "hangup" },
        },
      },
    },
    { type: "DefineNumber", number: NUMBER, flowId: "long" },
  ]);
  await signInAvailable(stack, ["tim"]);
});

afterAll(async () => {
  await stack?.close();
});

it("acks the ring timer of a call that ended before it came due, without a TimerFired input", async () => {
  const callId = randomUUID();
  const nc = natsConnectionOf(stack.bus);
  const timerInputs: string[] = [];
  const sub = nc.subscribe(stack.bus.names.subject(`in.call.${callId}`), {
    callback: (err, msg) => {
      if (err) return;
      const m = msg.json<CallInputMessage>();
      if (m.input.type === "TimerFired") timerInputs.push(m.messageId);
    },
  });
  const before = stack.router.stats();
  await callInput(stack.bus, callId, { type: "StartCall", callId, from: CALLER, to: NUMBER });
  const [leg] = await stack.gateway.waitFor(callId, (c) => c.command.kind === "originate", "originate");
  const legId = (leg!.command as { legId: string }).legId;
  await callInput(stack.bus, callId, { type: "LegRinging", legId });
  await callInput(stack.bus, callId, { type: "LegAnswered", legId });
  await stack.gateway.waitFor(callId, (c) => c.command.kind === "bridge", "bridge");
  await callInput(stack.bus, callId, { type: "LegEnded", legId: leg!.callerLegId, reason: "hungUp" });
  const ended = await eventually(async () => {
    const events = await callEvents(stack.eventStore, callId);
    return events.at(-1)?.type === "CallEnded" ? events : undefined;
  }, "the call to end");
  expect(ended.some((e) => e.type === "TimerScheduled")).toBe(true);

  await eventually(
    () => (stack.router.stats().timersOfEndedCalls > before.timersOfEndedCalls ? true : undefined),
    "the ring timer acked as the timer of an ended call",
  );
  // Had it become an input, that publish would have come before the timer's ack: flushed by now.
  await nc.flush();
  sub.unsubscribe();
  expect(timerInputs).toEqual([]);
  expect(stack.router.stats().timersFired).toBe(before.timersFired);
  expect((await callEvents(stack.eventStore, callId)).map((e) => e.type)).toEqual(ended.map((e) => e.type));
});
