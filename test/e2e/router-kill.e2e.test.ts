// The router process is SIGKILLed while 100 calls ring; a new one is started. Every call must still reach a
// terminal state through its ring timeout (the durable timer on JetStream), with a complete stream.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  newNumber,
  placeCall,
  say,
  sleep,
  startE2E,
  streamOf,
} from "./harness.js";
import { type RouterProcess, spawnRouterProcess } from "./router-process.js";

const CALLS = 100;
const SPEED = 10;
const RING_TIMEOUT_SEC = 60;

let p: E2EPlatform;
const children: ChildProcess[] = [];

function spawnRouter(): RouterProcess {
  const r = spawnRouterProcess(p, SPEED, { SWITCHYARD_ROUTER_ACK_WAIT_MS: "2000" });
  children.push(r.proc);
  return r;
}

beforeAll(async () => {
  // The driver's own originate guard is pushed far out, so only the router's ring timeout can end a ring.
  p = await startE2E({ speed: SPEED, inProcessRouter: false, driver: { originateGraceSec: 3_600 } });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await p?.close();
});

async function ringingFlow(name: string) {
  const line = newNumber();
  const flow = flowOnNumber(name, "c", {
    c: {
      kind: "connect",
      target: { kind: "number", number: line },
      ringTimeoutSec: RING_TIMEOUT_SEC,
      branches: { noAnswer: "sorry", fallback: "sorry" },
    },
    sorry: say("Nobody answered"),
  });
  await defineConfig(p, flow.commands);
  p.driver.setPhone(line, { kind: "noAnswer", ringingAfterSec: 0.5 });
  return flow.number;
}

async function countRinging(calls: readonly string[]): Promise<number> {
  let n = 0;
  for (const c of calls) if ((await streamOf(p, c)).some((e) => e.type === "LegRinging")) n++;
  return n;
}

const killed = (proc: ChildProcess) =>
  new Promise<void>((r) =>
    proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once("exit", () => r()),
  );

it("every one of 100 ringing calls still reaches a terminal state through its ring timeout after the router is killed", async () => {
  const number = await ringingFlow("kill");

  const first = spawnRouter();
  await first.started;
  const calls: string[] = [];
  for (let i = 0; i < CALLS; i++)
    calls.push(await placeCall(p, { from: `+1415888${String(i).padStart(4, "0")}`, to: number }));
  // Kill it while the calls ring: every call rang, and none of the ring timeouts can have fired yet.
  const ringing = await eventually(async () => {
    const n = await countRinging(calls);
    return n >= CALLS * 0.9 ? n : undefined;
  }, "the calls to ring");
  const ended = (await Promise.all(calls.map((c) => streamOf(p, c)))).filter((s) =>
    s.some((e) => e.type === "CallEnded"),
  ).length;
  first.proc.kill("SIGKILL");
  const killedAt = Date.now();
  await new Promise<void>((r) =>
    first.proc.exitCode !== null || first.proc.signalCode !== null ? r() : first.proc.once("exit", () => r()),
  );
  expect(ended).toBe(0);
  expect(ringing).toBeGreaterThanOrEqual(CALLS * 0.9);

  // Down until every ring timeout is overdue: they must fire from JetStream once a router is back.
  const dueAts = (await Promise.all(calls.map((c) => streamOf(p, c)))).flatMap((events) =>
    events.filter((e) => e.type === "TimerScheduled").map((e) => (e.data as { dueAt: number }).dueAt),
  );
  const lastDue = Math.max(...dueAts);
  while (p.clock.now() < lastDue + 2_000) await sleep(50);
  const second = spawnRouter();
  const restartedAt = Date.now();
  await second.started;

  const results = await Promise.all(calls.map((c) => endedCall(p, c, 2_400)));
  const recoveredMs = Date.now() - restartedAt;
  let latestFiringMs = 0;
  for (const call of results) {
    expect(call.of("TimerElapsed").map((t) => t.kind)).toEqual(["ringTimeout"]);
    expect(call.of("ConnectCompleted")[0]).toMatchObject({ outcome: "noAnswer" });
    expect(call.of("LegEnded").find((l) => l.legId !== call.state.callerLegId)?.reason).toBe("cancelled");
    const late = call.of("TimerElapsed")[0]!.at - call.of("TimerScheduled")[0]!.dueAt;
    expect(late).toBeGreaterThan(0);
    latestFiringMs = Math.max(latestFiringMs, late);
  }
  second.proc.kill("SIGTERM");
  await killed(second.proc);
  console.log(
    JSON.stringify({
      calls: CALLS,
      ringingWhenKilled: ringing,
      routerDownMs: restartedAt - killedAt,
      allTerminalAfterRestartMs: recoveredMs,
      // Platform ms: how long after its due time the most overdue ring timeout fired (includes the downtime).
      maxTimerLatenessPlatformMs: latestFiringMs,
    }),
  );
});

it("with two router processes sharing the consumers, killing one leaves the other to finish every call", async () => {
  const number = await ringingFlow("kill_pair");
  const a = spawnRouter();
  const b = spawnRouter();
  await Promise.all([a.started, b.started]);
  const calls: string[] = [];
  for (let i = 0; i < CALLS; i++)
    calls.push(await placeCall(p, { from: `+1415666${String(i).padStart(4, "0")}`, to: number }));
  await eventually(
    async () => ((await countRinging(calls)) >= CALLS * 0.9 ? true : undefined),
    "the calls to ring",
  );
  a.proc.kill("SIGKILL");
  await killed(a.proc);
  const results = await Promise.all(calls.map((c) => endedCall(p, c, 2_400)));
  for (const call of results) {
    expect(call.of("TimerElapsed").map((t) => t.kind)).toEqual(["ringTimeout"]);
    expect(call.of("ConnectCompleted")[0]).toMatchObject({ outcome: "noAnswer" });
  }
  // Both processes decided for these calls (each event's metadata names its router).
  const routers = new Set(results.flatMap((call) => call.events.map((e) => e.metadata.router)));
  expect(routers.size).toBe(2);
});
