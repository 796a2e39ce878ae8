import { randomUUID } from "node:crypto";
import { DEAD_LETTER_STREAM, type DeadLetter } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { type LegCommandMessage, presenceKey } from "@switchyard/contracts";
import type { Applet } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentInput,
  agents,
  callEvents,
  callInput,
  defineConfig,
  eventually,
  type Stack,
  signInAvailable,
  startStack,
} from "./harness.js";

const BUSINESS = "+14155550000";
const QUEUED = "+14155550001";
const CALLER = "+14155559999";
let stack: Stack;

const connect = (groupId: string, extra: Partial<Extract<Applet, { kind: "connect" }>> = {}): Applet => ({
  kind: "connect",
  target: { kind: "group", groupId },
  branches: { fallback: "bye" },
  ...extra,
});

beforeAll(async () => {
  stack = await startStack({ speed: 40 });
  await defineConfig(stack.eventStore, [
    ...agents(["ann", "bob", "qia"]),
    {
      type: "DefineGroup",
      groupId: "sales",
      name: "Sales",
      strategy: "simultaneous",
      members: ["ann", "bob"],
      ringTimeoutSec: 10,
    },
    {
      type: "DefineGroup",
      groupId: "queue",
      name: "Queue",
      strategy: "longestIdle",
      members: ["qia"],
      ringTimeoutSec: 10,
      queue: { enabled: true, maxWaitSec: 600, maxSize: 5 },
    },
    {
      type: "DefineFlow",
      flow: {
        flowId: "main",
        name: "Main",
        start: "c",
        applets: { c: connect("sales"), bye: { kind: "hangup" } },
      },
    },
    {
      type: "DefineFlow",
      flow: { flowId: "q", name: "Q", start: "c", applets: { c: connect("queue"), bye: { kind: "hangup" } } },
    },
    { type: "DefineNumber", number: BUSINESS, flowId: "main" },
    { type: "DefineNumber", number: QUEUED, flowId: "q" },
  ]);
  await signInAvailable(stack, ["ann", "bob", "qia"]);
});

afterAll(async () => {
  await stack?.close();
});

const originates = (callId: string) => stack.gateway.of(callId).filter((c) => c.command.kind === "originate");

async function ringAndAnswer(callId: string, answerIndex: number) {
  const legs = await stack.gateway.waitFor(callId, (c) => c.command.kind === "originate", "originates");
  for (const l of legs) await callInput(stack.bus, callId, { type: "LegRinging", legId: legIdOf(l) });
  await callInput(stack.bus, callId, { type: "LegAnswered", legId: legIdOf(legs[answerIndex]!) });
  await stack.gateway.waitFor(callId, (c) => c.command.kind === "bridge", "bridge");
  return legs;
}

const legIdOf = (c: LegCommandMessage) => (c.command as { legId: string }).legId;

async function hangUpCaller(callId: string) {
  const first = stack.gateway.of(callId)[0]!;
  await callInput(stack.bus, callId, { type: "LegEnded", legId: first.callerLegId, reason: "hungUp" });
  return eventually(async () => {
    const events = await callEvents(stack.eventStore, callId);
    return events.at(-1)?.type === "CallEnded" ? events : undefined;
  }, `call ${callId} to end`);
}

describe("router", () => {
  it("rings a simultaneous group, bridges the answering agent, cancels the other and ends the call", async () => {
    const callId = randomUUID();
    await callInput(
      stack.bus,
      callId,
      { type: "StartCall", callId, from: CALLER, to: BUSINESS },
      { gatewayId: "gw7" },
    );
    await stack.gateway.waitFor(callId, (c) => c.command.kind === "originate", "two originates", 2);
    expect(originates(callId)).toHaveLength(2);
    await ringAndAnswer(callId, 0);
    await stack.gateway.waitFor(callId, (c) => c.command.kind === "cancel", "cancel of the loser");
    const events = await hangUpCaller(callId);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe("CallStarted");
    expect(types).toContain("LegsBridged");
    expect(types.at(-1)).toBe("CallEnded");
    // Every event of the call was caused by one input, and the gateway of the inbound call got every command.
    expect(events.every((e) => typeof e.metadata.causationId === "string")).toBe(true);
    expect(new Set(stack.gateway.of(callId).map((c) => c.commandId)).size).toBe(
      stack.gateway.of(callId).length,
    );
  });

  it("fires the ring timeout from the timer stream and takes the fallback branch", async () => {
    const callId = randomUUID();
    await callInput(stack.bus, callId, { type: "StartCall", callId, from: CALLER, to: BUSINESS });
    const events = await eventually(async () => {
      const ev = await callEvents(stack.eventStore, callId);
      return ev.at(-1)?.type === "CallEnded" ? ev : undefined;
    }, "ring timeout and hang-up");
    const types = events.map((e) => e.type);
    expect(types).toContain("TimerElapsed");
    expect(events.find((e) => e.type === "ConnectCompleted")?.data).toMatchObject({ outcome: "noAnswer" });
    // Effects go out after the append: wait for the cancels rather than reading them at once.
    await stack.gateway.waitFor(callId, (c) => c.command.kind === "cancel", "both legs cancelled", 2);
    expect(stack.gateway.of(callId).filter((c) => c.command.kind === "cancel")).toHaveLength(2);
  });

  it("takes a redelivered input's decision once and only re-publishes its effects", async () => {
    const callId = randomUUID();
    const start = await callInput(stack.bus, callId, {
      type: "StartCall",
      callId,
      from: CALLER,
      to: BUSINESS,
    });
    await stack.gateway.waitFor(callId, (c) => c.command.kind === "originate", "originates", 2);
    const before = await callEvents(stack.eventStore, callId);
    const replays = stack.router.stats().replays;
    // The same input again under a new JetStream id (as after a crash past the dedup window).
    await callInput(stack.bus, callId, start.input, { messageId: start.messageId, msgId: randomUUID() });
    await eventually(() => (stack.router.stats().replays > replays ? true : undefined), "the replay");
    expect((await callEvents(stack.eventStore, callId)).length).toBe(before.length);
    await ringAndAnswer(callId, 1);
    expect((await hangUpCaller(callId)).at(-1)?.type).toBe("CallEnded");
  });

  it("dead-letters a malformed input with its reason and handles the calls behind it", async () => {
    const bad = randomUUID();
    await stack.bus.publish(
      `in.call.${bad}`,
      { messageId: "x", callId: bad, input: { type: "Teleport" }, at: 1 },
      { msgId: randomUUID() },
    );
    const callId = randomUUID();
    await callInput(stack.bus, callId, { type: "StartCall", callId, from: CALLER, to: BUSINESS });
    await stack.gateway.waitFor(callId, (c) => c.command.kind === "originate", "originates", 2);
    const jsm = await natsConnectionOf(stack.bus).jetstreamManager();
    const letter = await eventually(async () => {
      const m = await jsm.streams
        .getMessage(stack.bus.names.stream(DEAD_LETTER_STREAM), {
          last_by_subj: stack.bus.names.subject("dlq.CALL_INPUTS.router"),
        })
        .catch(() => undefined);
      return m?.json<DeadLetter>();
    }, "the dead letter");
    expect(letter.error).toContain("Teleport");
    await ringAndAnswer(callId, 0);
    expect((await hangUpCaller(callId)).at(-1)?.type).toBe("CallEnded");
  });

  it("queues a caller while the only agent is busy and offers it when the agent is freed", async () => {
    const first = randomUUID();
    await callInput(stack.bus, first, { type: "StartCall", callId: first, from: CALLER, to: QUEUED });
    await ringAndAnswer(first, 0);
    const second = randomUUID();
    await callInput(stack.bus, second, { type: "StartCall", callId: second, from: CALLER, to: QUEUED });
    await eventually(
      async () =>
        (await callEvents(stack.eventStore, second)).some((e) => e.type === "CallerEnqueued")
          ? true
          : undefined,
      "second caller queued",
    );
    expect(originates(second)).toHaveLength(0);
    await hangUpCaller(first);
    // Freed: the router offers the queued caller to qia.
    await ringAndAnswer(second, 0);
    const events = await hangUpCaller(second);
    expect(events.map((e) => e.type)).toContain("CallerDequeued");
    const qia = await stack.eventStore.store.readStream("agent-qia");
    expect(qia.filter((e) => e.type === "AgentAnswered")).toHaveLength(2);
  });
});

describe("a large group", () => {
  it("is routed from the presence index: the longest idle member is rung, the next call gets another", async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `big_${String(i).padStart(3, "0")}`);
    const BIG = "+14155550002";
    await defineConfig(stack.eventStore, [
      ...agents(ids),
      {
        type: "DefineGroup",
        groupId: "big",
        name: "Big",
        strategy: "longestIdle",
        members: ids,
        ringTimeoutSec: 10,
      },
      {
        type: "DefineFlow",
        flow: {
          flowId: "big",
          name: "Big",
          start: "c",
          applets: { c: connect("big"), bye: { kind: "hangup" } },
        },
      },
      { type: "DefineNumber", number: BIG, flowId: "big" },
    ]);
    // Signed in one after the other, in reverse: the last of the list has been idle the longest.
    for (const a of [...ids].reverse()) await agentInput(stack.bus, a, { type: "SignIn" });
    const kv = await natsConnectionOf(stack.bus).jetstream().views.kv(`${stack.bus.names.prefix}_presence`);
    for (const a of ids) {
      await eventually(
        async () =>
          (await kv.get(presenceKey(a)))?.json<{ version: number }>().version === 1 ? true : undefined,
        `${a} in the view`,
      );
    }
    const idleSince = new Map<string, number>();
    for (const a of ids) {
      const [signedIn] = await stack.eventStore.store.readStream(`agent-${a}`);
      idleSince.set(a, (signedIn!.data as { at: number }).at);
    }
    const longest = Math.min(...idleSince.values());
    const calls = [randomUUID(), randomUUID()];
    const rung: string[] = [];
    for (const callId of calls) {
      await callInput(stack.bus, callId, { type: "StartCall", callId, from: CALLER, to: BIG });
      const [originate] = await stack.gateway.waitFor(
        callId,
        (c) => c.command.kind === "originate",
        "originate",
      );
      const decided = (await callEvents(stack.eventStore, callId)).find((e) => e.type === "RoutingDecided")!
        .data as { chosen: string[]; candidates: unknown[] };
      expect(decided.chosen).toHaveLength(1);
      // The report lists the candidates looked at, not the 100 members.
      expect(decided.candidates.length).toBeLessThan(ids.length);
      rung.push(decided.chosen[0]!);
      expect(originate).toBeDefined();
    }
    expect(idleSince.get(rung[0]!)).toBe(longest);
    expect(rung[1]).not.toBe(rung[0]);
    const secondLongest = Math.min(...[...idleSince].filter(([a]) => a !== rung[0]).map(([, t]) => t));
    expect(idleSince.get(rung[1]!)).toBe(secondLongest);
  });
});
