// A callback that keeps the caller's place, end to end on the simulated driver (real PostgreSQL and NATS,
// the router in its own process): the caller waits, hears the offer, presses the key and confirms, and hangs
// up; the router is SIGKILLed while the callback is pending and started again; when the agent comes back
// the agent is rung first (hearing the callback whisper), then the customer is called with the business
// number, and they talk.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  agentInput,
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  placeCall,
  presenceOf,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";
import { spawnRouterProcess } from "./router-process.js";

const SPEED = 20;
const CALLER = "+14155559123";

let p: E2EPlatform;
const children: ChildProcess[] = [];

function spawnRouter() {
  const router = spawnRouterProcess(p, SPEED);
  children.push(router.proc);
  return router;
}

beforeAll(async () => {
  p = await startE2E({ speed: SPEED, inProcessRouter: false });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await p?.close();
});

it("a queued caller takes a callback, keeps their place through a router kill, and is called back by the agent", async () => {
  const { commands, agents } = defineAgents(["cb_agent"]);
  const flow = flowOnNumber("cb_flow", "c", {
    c: { kind: "connect", target: { kind: "group", groupId: "cb" }, branches: { fallback: "bye" } },
    bye: hangup,
  });
  await defineConfig(p, [
    ...commands,
    {
      type: "DefineGroup",
      groupId: "cb",
      name: "cb",
      strategy: "longestIdle",
      members: ["cb_agent"],
      ringTimeoutSec: 30,
      queue: {
        enabled: true,
        maxWaitSec: 600,
        callback: { offerAfterSec: 10, key: "9", maxAttempts: 2, retryAfterSec: 60 },
      },
    },
    ...flow.commands,
  ]);
  await signIn(p, ["cb_agent"]);
  const first = spawnRouter();
  await first.started;
  await agentInput(p, "cb_agent", { type: "StartBreak" });
  await eventually(
    async () => ((await presenceOf(p, "cb_agent"))?.state.status === "onBreak" ? true : undefined),
    "agent on break",
  );
  // The agent answers the callback after 1 s and talks; the customer (the caller's own number) answers too.
  p.driver.setPhone(agents.cb_agent!.number, { kind: "answer", afterSec: 1, talkSec: 5 });
  p.driver.setPhone(CALLER, { kind: "answer", afterSec: 2 });
  // The caller presses 9 after the offer (at 10 s), then 1 to confirm their number.
  const callId = await placeCall(p, {
    from: CALLER,
    to: flow.number,
    dtmf: [
      { afterSec: 25, digits: "9" },
      { afterSec: 40, digits: "1" },
    ],
  });
  // The goodbye played and the caller's line is gone; the call waits in the queue.
  const callerLeg = await eventually(
    async () =>
      (await streamOf(p, callId)).find((e) => e.type === "CallStarted")?.data as
        | { callerLegId: string }
        | undefined,
    "the call started",
  );
  await eventually(async () => {
    const events = await streamOf(p, callId);
    return events.some(
      (e) => e.type === "LegEnded" && (e.data as { legId: string }).legId === callerLeg.callerLegId,
    )
      ? true
      : undefined;
  }, "the caller hung up after accepting the callback");

  first.proc.kill("SIGKILL");
  await first.exited;
  const second = spawnRouter();
  await second.started;
  await agentInput(p, "cb_agent", { type: "EndBreak" });

  const call = await endedCall(p, callId);
  expect(call.of("CallbackRequested")[0]).toMatchObject({ number: CALLER });
  const customer = call.of("LegOriginateRequested").find((l) => l.role === "customer");
  expect(customer).toMatchObject({ to: { kind: "phone", number: CALLER }, callerId: flow.number });
  const agentLeg = call.of("LegOriginateRequested").find((l) => l.agentId === "cb_agent")!;
  // The agent was rung before the customer, and heard the callback whisper.
  expect(call.types.indexOf("LegOriginateRequested")).toBe(
    call.events.findIndex(
      (e) => e.type === "LegOriginateRequested" && (e.data as { legId: string }).legId === agentLeg.legId,
    ),
  );
  expect(call.of("WhisperRequested")[0]).toMatchObject({
    legId: agentLeg.legId,
    audio: { kind: "tts", text: `Callback for ${CALLER}` },
  });
  expect(call.of("LegsBridged")[0]?.legIds).toEqual([customer!.legId, agentLeg.legId]);
  expect(call.of("ConnectCompleted").at(-1)?.outcome).toBe("answered");
  // Decided by both router processes: the callback survived the kill.
  const routers = new Set(call.events.map((e) => String(e.metadata.router)));
  expect(routers.size).toBeGreaterThanOrEqual(2);
  second.proc.kill("SIGTERM");
  await second.exited;
});
