// SIGTERM to one of two router processes while calls keep coming: the terminated router stops pulling,
// settles what it holds (in-flight decisions finish, pulled-but-unstarted inputs are handed back at once)
// and exits 0; every call — before, during and after — is answered and ends with a complete stream, the
// ones after the signal decided by the surviving replica.
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  defineConfig,
  type E2EPlatform,
  endedCall,
  flowOnNumber,
  hangup,
  newNumber,
  placeCall,
  sleep,
  startE2E,
} from "./harness.js";
import { spawnRouterProcess } from "./router-process.js";

const CALLS = 60;
const SPEED = 5;

let p: E2EPlatform;
const children: ChildProcess[] = [];

function spawnRouter() {
  const router = spawnRouterProcess(p, SPEED, {
    // Longer than the ring timeout below: an input the terminated router kept instead of handing it back
    // would come back only after the call had timed out (noAnswer); handed back, the other router takes it.
    SWITCHYARD_ROUTER_ACK_WAIT_MS: "600000",
  });
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

it("SIGTERM to one router during load: no call lost, the other replica carries every call on", async () => {
  const agent = newNumber();
  const flow = flowOnNumber("sigterm", "c", {
    // A ring timeout (2 min real) far beyond any queueing on a loaded machine, far below the ack wait: a call
    // that ends unanswered had an input kept by the terminated router, not merely delayed.
    c: {
      kind: "connect",
      target: { kind: "number", number: agent },
      ringTimeoutSec: 600,
      branches: { fallback: "bye" },
    },
    bye: hangup,
  });
  await defineConfig(p, flow.commands);
  // Answers after 1 s, talks 3 s (platform time): every call takes a handful of router decisions.
  p.driver.setPhone(agent, { kind: "answer", afterSec: 1, talkSec: 3 });

  const a = spawnRouter();
  const b = spawnRouter();
  await Promise.all([a.started, b.started]);

  const calls: string[] = [];
  let terminatedAfter = 0;
  let signalledAt = 0;
  for (let i = 0; i < CALLS; i++) {
    calls.push(await placeCall(p, { from: `+1415777${String(i).padStart(4, "0")}`, to: flow.number }));
    if (i === CALLS / 2) {
      signalledAt = performance.now();
      a.proc.kill("SIGTERM");
      terminatedAfter = calls.length;
    }
    await sleep(20);
  }
  expect(await a.exited, a.lines.join("\n")).toBe(0);
  const stopMs = Math.round(performance.now() - signalledAt);
  expect(a.lines.some((l) => l.includes('"router stopping"'))).toBe(true);

  const results = await Promise.all(calls.map((c) => endedCall(p, c, 2_400)));
  for (const call of results) {
    expect(call.of("ConnectCompleted")[0]).toMatchObject({ outcome: "answered" });
    expect(call.types).toContain("LegsBridged");
  }
  // Both routers decided before the signal; after it, only the survivor.
  const routerOf = (e: { metadata: Record<string, unknown> }) => String(e.metadata.router);
  const pidOf = (proc: ChildProcess) => `:${proc.pid}`;
  const before = new Set(results.slice(0, terminatedAfter / 2).flatMap((c) => c.events.map(routerOf)));
  expect([...before].some((r) => r.endsWith(pidOf(a.proc)))).toBe(true);
  expect([...before].some((r) => r.endsWith(pidOf(b.proc)))).toBe(true);
  // Calls in flight at the signal: begun by the terminated router, carried on by the survivor.
  const carried = results.filter((c) => {
    const rs = c.events.map(routerOf);
    return rs.some((r) => r.endsWith(pidOf(a.proc))) && rs.some((r) => r.endsWith(pidOf(b.proc)));
  });
  expect(carried.length).toBeGreaterThan(0);
  const late = results.slice(terminatedAfter + 10).flatMap((c) => c.events.map(routerOf));
  expect(late.length).toBeGreaterThan(0);
  expect(late.every((r) => r.endsWith(pidOf(b.proc)))).toBe(true);

  b.proc.kill("SIGTERM");
  expect(await b.exited).toBe(0);
  console.log(JSON.stringify({ calls: CALLS, carriedOver: carried.length, terminatedRouterExitMs: stopMs }));
});
