// Queues end to end: position announcements, max wait, max size, and longest waiting served first.
import type { Applet, QueueSettings } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentInput,
  defineAgents,
  defineConfig,
  type E2EPlatform,
  type EndedCall,
  endedCall,
  eventually,
  flowOnNumber,
  passTime,
  placeCall,
  presenceOf,
  say,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";

let p: E2EPlatform;
const CALLER = "+14155559003";

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

/** One agent in a queued group, on a flow with a branch per outcome. */
async function queuedGroup(name: string, queue: Partial<QueueSettings>) {
  const agentId = `${name}_agent`;
  const { commands, agents } = defineAgents([agentId]);
  const connect: Applet = {
    kind: "connect",
    target: { kind: "group", groupId: name },
    branches: { noAnswer: "waited", allAgentsBusy: "full", fallback: "waited" },
  };
  const flow = flowOnNumber(`${name}_flow`, "c", {
    c: connect,
    waited: say("Sorry, nobody could take your call"),
    full: say("The queue is full"),
  });
  await defineConfig(p, [
    ...commands,
    {
      type: "DefineGroup",
      groupId: name,
      name,
      strategy: "longestIdle",
      members: [agentId],
      ringTimeoutSec: 10,
      queue: { enabled: true, ...queue },
    },
    ...flow.commands,
  ]);
  await signIn(p, [agentId]);
  return { agentId, phone: agents[agentId]!.number, number: flow.number };
}

async function untilQueued(callId: string) {
  await eventually(
    async () => ((await streamOf(p, callId)).some((e) => e.type === "CallerEnqueued") ? true : undefined),
    `call ${callId} queued`,
  );
}

async function takeBreak(agentId: string) {
  await agentInput(p, agentId, { type: "StartBreak" });
  await eventually(
    async () => ((await presenceOf(p, agentId))?.state.status === "onBreak" ? true : undefined),
    `${agentId} on break`,
  );
}

describe("queue", () => {
  it("announces queue positions to waiting callers, moving up as callers ahead are served", async () => {
    const g = await queuedGroup("qpos", { announcePosition: true, announceEverySec: 5, maxWaitSec: 600 });
    p.driver.setPhone(g.phone, { kind: "answer", afterSec: 1, talkSec: 12 });
    const busy = await placeCall(p, { from: CALLER, to: g.number });
    await eventually(
      async () => ((await streamOf(p, busy)).some((e) => e.type === "LegsBridged") ? true : undefined),
      "agent on the first call",
    );
    const first = await placeCall(p, { from: CALLER, to: g.number });
    await untilQueued(first);
    // A second later: callers queued at the same platform instant tie, and the tie-break is by call id.
    await passTime(p, 1_000);
    const second = await placeCall(p, { from: CALLER, to: g.number });
    const calls = await Promise.all([busy, first, second].map((c) => endedCall(p, c)));
    const [, one, two] = calls as [EndedCall, EndedCall, EndedCall];
    expect(one.of("CallerEnqueued")[0]?.position).toBe(1);
    expect(two.of("CallerEnqueued")[0]?.position).toBe(2);
    const positions = two.of("QueuePositionAnnounced").map((a) => a.position);
    expect(positions[0]).toBe(2);
    expect(positions).toContain(1);
    // Positions only ever go down, and the caller heard each one through the gateway.
    expect([...positions].sort((a, b) => b - a)).toEqual(positions);
    const heard = p.gateway
      .mediaLog(two.state.callerLegId)
      .filter((e) => e.kind === "positionAnnounced")
      .map((e) => e.position);
    expect(heard).toEqual(positions);
    for (const c of [one, two]) expect(c.of("ConnectCompleted").at(-1)?.outcome).toBe("answered");
  });

  it("a Simultaneous group rings all its free members for the longest-waiting caller; the first answer wins", async () => {
    const ids = ["qsim_a", "qsim_b"];
    const { commands, agents } = defineAgents(ids);
    const flow = flowOnNumber("qsim_flow", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "qsim" }, branches: { fallback: "bye" } },
      bye: say("Goodbye"),
    });
    await defineConfig(p, [
      ...commands,
      {
        type: "DefineGroup",
        groupId: "qsim",
        name: "qsim",
        strategy: "simultaneous",
        members: ids,
        ringTimeoutSec: 120,
        queue: { enabled: true, maxWaitSec: 600 },
      },
      ...flow.commands,
    ]);
    await signIn(p, ids);
    // Both phones let the first call ring; for the queued caller b answers first.
    p.driver.setPhone(agents.qsim_a!.number, [
      { kind: "noAnswer" },
      { kind: "answer", afterSec: 6, talkSec: 2 },
    ]);
    p.driver.setPhone(agents.qsim_b!.number, [
      { kind: "noAnswer" },
      { kind: "answer", afterSec: 1, talkSec: 2 },
    ]);
    // The first caller gives up while both ring: both members are freed in one decision.
    const first = await placeCall(p, { from: CALLER, to: flow.number, hangUpAfterSec: 60 });
    await eventually(
      async () => ((await streamOf(p, first)).some((e) => e.type === "RoutingDecided") ? true : undefined),
      "both members ringing for the first caller",
    );
    const second = await placeCall(p, { from: CALLER, to: flow.number });
    await untilQueued(second);
    const [, two] = await Promise.all([endedCall(p, first), endedCall(p, second)]);
    const offer = two.of("RoutingDecided").find((d) => d.purpose === "queueOffer");
    expect(offer?.strategy).toBe("simultaneous");
    expect([...(offer?.chosen ?? [])].sort()).toEqual(ids);
    const legOf = (agentId: string) => offer!.legs.find((l) => l.agentId === agentId)!.legId;
    expect(two.of("LegsBridged")[0]?.legIds).toContain(legOf("qsim_b"));
    expect(two.of("LegCancelRequested")).toContainEqual(
      expect.objectContaining({ legId: legOf("qsim_a"), reason: "anotherLegAnswered" }),
    );
    expect(two.of("ConnectCompleted").at(-1)?.outcome).toBe("answered");
  });

  it("a caller who waited the maximum time leaves with queueTimeout, through the no-answer branch (none of its own)", async () => {
    const g = await queuedGroup("qwait", { maxWaitSec: 15 });
    await takeBreak(g.agentId);
    const call = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    expect(call.types).toContain("CallerEnqueued");
    expect(call.of("CallerDequeued")[0]?.reason).toBe("maxWait");
    expect(call.of("ConnectCompleted")[0]).toMatchObject({
      outcome: "queueTimeout",
      reason: "max queue wait reached",
    });
    expect(call.of("AppletEntered").map((a) => a.appletId)).toEqual(["c", "waited"]);
  });

  it("a full queue ends the Connect with queueFull, through the all-agents-busy branch (none of its own)", async () => {
    const g = await queuedGroup("qfull", { maxWaitSec: 20, maxSize: 1 });
    await takeBreak(g.agentId);
    const waiting = await placeCall(p, { from: CALLER, to: g.number });
    await untilQueued(waiting);
    const full = await endedCall(p, await placeCall(p, { from: CALLER, to: g.number }));
    expect(full.of("ConnectCompleted")[0]?.outcome).toBe("queueFull");
    expect(full.of("AppletEntered").map((a) => a.appletId)).toEqual(["c", "full"]);
    expect(full.types).not.toContain("CallerEnqueued");
    const first = await endedCall(p, waiting);
    expect(first.of("CallerDequeued")[0]?.reason).toBe("maxWait");
  });

  it("serves the longest-waiting caller first when an agent becomes free", async () => {
    const g = await queuedGroup("qorder", { maxWaitSec: 600, maxSize: 5 });
    await takeBreak(g.agentId);
    p.driver.setPhone(g.phone, { kind: "answer", afterSec: 1, talkSec: 2 });
    const callers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await placeCall(p, { from: CALLER, to: g.number });
      await untilQueued(c);
      callers.push(c);
      // Queued at distinct platform instants (at one instant the order is the call ids').
      await passTime(p, 1_000);
    }
    await agentInput(p, g.agentId, { type: "EndBreak" });
    const calls = await Promise.all(callers.map((c) => endedCall(p, c)));
    for (const c of calls) expect(c.of("ConnectCompleted").at(-1)?.outcome).toBe("answered");
    const answered = (await p.eventStore.store.readStream(`agent-${g.agentId}`))
      .filter((e) => e.type === "AgentAnswered")
      .map((e) => (e.data as { callId: string }).callId);
    expect(answered).toEqual(callers);
  });

  it("a caller who hangs up while queued leaves the queue, and the callers behind move up", async () => {
    const g = await queuedGroup("qabandon", { maxWaitSec: 600, announcePosition: true, announceEverySec: 5 });
    await takeBreak(g.agentId);
    const impatient = await placeCall(p, { from: CALLER, to: g.number, patienceSec: 20 });
    await untilQueued(impatient);
    await passTime(p, 1_000);
    const patient = await placeCall(p, { from: CALLER, to: g.number, hangUpAfterSec: 60 });
    const left = await endedCall(p, impatient);
    expect(left.of("CallEnded")[0]?.reason).toBe("callerHungUp");
    expect(left.of("CallerDequeued")[0]?.reason).toBe("callEnded");
    const stayed = await endedCall(p, patient);
    expect(stayed.of("CallerEnqueued")[0]?.position).toBe(2);
    expect(stayed.of("QueuePositionAnnounced").map((a) => a.position)).toContain(1);
    const queue = (await p.eventStore.store.readStream("queue-qabandon")).map((e) => [
      e.type,
      (e.data as { callId: string; reason?: string }).reason,
    ]);
    expect(queue).toEqual([
      ["CallerQueued", undefined],
      ["CallerQueued", undefined],
      ["CallerLeftQueue", "callerHungUp"],
      ["CallerLeftQueue", "callerHungUp"],
    ]);
  });
});
