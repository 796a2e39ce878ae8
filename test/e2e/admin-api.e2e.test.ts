// The admin API on the whole platform (router, agent-presence, relay, media gateway on the simulated
// driver): a warm transfer started, and completed, through the API by the agent on the call — observed end
// to end — the call's life watched live, then resumed from a position after a disconnect; an agent token
// refused on another agent's call.
import { randomUUID } from "node:crypto";
import {
  type CallOptions,
  type Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { type AdminApi, authenticator, hashToken, start as startAdminApi } from "@switchyard/admin-api";
import {
  Call_State,
  CallServiceClient,
  Connect_CallerId,
  QueueServiceClient,
  Transfer,
  Transfer_Mode,
  Transfer_State,
  type WatchEventsResponse,
} from "@switchyard/admin-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  placeCall,
  signIn,
  startE2E,
} from "./harness.js";

let p: E2EPlatform;
let api: AdminApi;
let calls: CallServiceClient;
let queues: QueueServiceClient;
const TOKENS = { a: randomUUID(), b: randomUUID(), boss: randomUUID() };

beforeAll(async () => {
  p = await startE2E();
  api = await startAdminApi({
    eventStore: p.eventStore,
    bus: await p.buses.busOf("admin-api"),
    clock: p.clock,
    authenticate: authenticator({
      tokens: [
        { name: "a", role: "agent", agentId: "api_a", sha256: hashToken(TOKENS.a) },
        { name: "b", role: "agent", agentId: "api_b", sha256: hashToken(TOKENS.b) },
        { name: "boss", role: "supervisor", sha256: hashToken(TOKENS.boss) },
      ],
    }),
  });
  calls = new CallServiceClient(api.target, credentials.createInsecure());
  queues = new QueueServiceClient(api.target, credentials.createInsecure());
});

afterAll(async () => {
  calls?.close();
  queues?.close();
  await api?.[Symbol.asyncDispose]();
  await p?.close();
});

const bearer = (token: string) => {
  const m = new Metadata();
  m.set("authorization", `Bearer ${token}`);
  return m;
};

function unary<Req, Res>(
  client: Client,
  // The generated methods' last overload (request, metadata, options, callback), which inference picks.
  method: (
    r: Req,
    m: Metadata,
    o: Partial<CallOptions>,
    cb: (e: ServiceError | null, res: Res) => void,
  ) => unknown,
  request: Req,
  token: string,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, request, bearer(token), {}, (e, res) => (e ? reject(e) : resolve(res))),
  );
}

async function failure(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error("expected the call to fail");
}

/** A watch stream collecting every response until `until` says stop (then cancelled: a disconnect). */
function watch(
  request: { resumeToken?: string; call?: string; fromStart?: boolean },
  until: (r: WatchEventsResponse) => boolean,
): Promise<WatchEventsResponse[]> {
  const seen: WatchEventsResponse[] = [];
  const stream = calls.watchEvents(
    {
      resumeToken: request.resumeToken ?? "",
      fromStart: request.fromStart ?? false,
      categories: [],
      call: request.call ?? "",
    },
    bearer(TOKENS.boss),
  );
  return new Promise((resolve, reject) => {
    stream.on("data", (r: WatchEventsResponse) => {
      seen.push(r);
      if (until(r)) {
        stream.cancel();
        resolve(seen);
      }
    });
    stream.on("error", (e: ServiceError) => {
      if (e.code !== status.CANCELLED) reject(e);
    });
  });
}

describe("admin API on the platform", () => {
  it("agent A warm-transfers its call to B through the API; the whole life is watched and resumed", async () => {
    const { commands, agents } = defineAgents(["api_a", "api_b"]);
    const flow = flowOnNumber("api_flow", "c", {
      c: { kind: "connect", target: { kind: "agent", agentId: "api_a" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, ["api_a", "api_b"]);
    p.driver.setPhone(agents.api_a!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    p.driver.setPhone(agents.api_b!.number, { kind: "answer", afterSec: 1, talkSec: 30 });

    // Every event from now on, live, until this call ends.
    let callId = "";
    // From the log's start: a watch "from now" fixes its starting point when the server has read the log to its
    // end, which can come after the call's first decision is committed (the call placed right after the request).
    const watching = watch(
      { fromStart: true },
      (r) => r.event?.stream === `call-${callId}` && r.event.type === "CallEnded",
    );
    callId = await placeCall(p, { from: "+14155550199", to: flow.number });
    const name = `calls/${callId}`;
    await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name }, TOKENS.boss).catch(() => undefined);
      return c?.currentAgent === "agents/api_a" ? c : undefined;
    }, "caller connected to A");

    // B may not act on A's call; A may.
    const request = {
      parent: name,
      // B sees a custom number (the transfer's caller ID option, as a Connect's).
      transfer: Transfer.fromPartial({
        mode: Transfer_Mode.MODE_WARM,
        agent: "agents/api_b",
        callerId: Connect_CallerId.CALLER_ID_CUSTOM,
        customCallerId: "+14155550123",
      }),
      transferId: "",
    };
    const denied = await failure(unary(calls, calls.startTransfer, request, TOKENS.b));
    expect(denied.code).toBe(status.PERMISSION_DENIED);
    const started = await unary(calls, calls.startTransfer, request, TOKENS.a);
    expect(started.name).toMatch(new RegExp(`^${name}/transfers/`));
    expect([Transfer_State.STATE_RINGING, Transfer_State.STATE_CONSULTING]).toContain(started.state);

    const consulting = await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name }, TOKENS.boss);
      return c.transfer?.state === Transfer_State.STATE_CONSULTING ? c : undefined;
    }, "A consulting B");
    expect(consulting.transfer?.agent).toBe("agents/api_b");
    expect(consulting.transfer).toMatchObject({
      callerId: Connect_CallerId.CALLER_ID_CUSTOM,
      customCallerId: "+14155550123",
    });
    const notYours = await failure(unary(calls, calls.completeTransfer, { name: started.name }, TOKENS.b));
    expect(notYours.code).toBe(status.PERMISSION_DENIED);
    const completed = await unary(calls, calls.completeTransfer, { name: started.name }, TOKENS.a);
    expect(completed.state).toBe(Transfer_State.STATE_COMPLETED);

    // Observed end to end: the caller ends up with B (third bridge: caller + consult leg), A released.
    const ended = await endedCall(p, callId);
    expect(ended.of("TransferCompleted")).toHaveLength(1);
    const consult = ended.of("LegOriginateRequested").find((l) => l.role === "consult")!;
    expect(consult.callerId).toBe("+14155550123");
    const consultLeg = consult.legId;
    const bridges = ended.of("LegsBridged").map((b) => [...b.legIds].sort());
    expect(bridges.at(-1)).toEqual([ended.state.callerLegId, consultLeg].sort());
    const agentA = (await p.eventStore.store.readStream("agent-api_a")).map((e) => e.type);
    expect(agentA).toContain("AgentCallEnded");

    // The call through the API: every event, and the routing decision with its candidates.
    const call = await unary(calls, calls.getCall, { name }, TOKENS.a);
    expect(call.state).toBe(Call_State.STATE_ENDED);
    expect(call.events.map((e) => e.type)).toEqual(ended.types);
    expect(call.decisions[0]).toMatchObject({ chosen: ["agents/api_a"] });
    expect(call.decisions[0]?.candidates[0]).toMatchObject({ agent: "agents/api_a", chosen: true });
    const listed = await unary(
      calls,
      calls.listCalls,
      { pageSize: 10, pageToken: "", filter: 'agent = "agents/api_b"' },
      TOKENS.boss,
    );
    expect(listed.calls.map((c) => c.name)).toContain(name);
    // A time range around the call's start finds it; one that starts just after does not.
    const startedAt = call.startTime!.toISOString();
    const justAfter = new Date(call.startTime!.getTime() + 1).toISOString();
    const inRange = (filter: string) =>
      unary(calls, calls.listCalls, { pageSize: 1000, pageToken: "", filter }, TOKENS.boss).then((r) =>
        r.calls.map((c) => c.name),
      );
    expect(await inRange(`start_time >= "${startedAt}" AND start_time < "${justAfter}"`)).toContain(name);
    expect(await inRange(`start_time >= "${justAfter}"`)).not.toContain(name);
    const badRange = await failure(
      unary(
        calls,
        calls.listCalls,
        { pageSize: 10, pageToken: "", filter: 'agent > "agents/api_b"' },
        TOKENS.boss,
      ),
    );
    expect(badRange.code).toBe(status.INVALID_ARGUMENT);

    // The live watch saw the call's whole life, in order, with the agents' and queue events around it.
    const live = await watching;
    const callEvents = live.filter((r) => r.event?.stream === `call-${callId}`).map((r) => r.event!.type);
    expect(callEvents).toEqual(ended.types.slice(0, callEvents.length));
    expect(callEvents.at(0)).toBe("CallStarted");
    expect(callEvents.at(-1)).toBe("CallEnded");
    expect(live.some((r) => r.event?.stream === "agent-api_b")).toBe(true);

    // Disconnect after TransferRequested, resume from there: exactly the rest, nothing twice.
    const cut = live.findIndex((r) => r.event?.type === "TransferRequested");
    expect(cut).toBeGreaterThan(0);
    const resumed = await watch(
      { resumeToken: live[cut]!.resumeToken, call: name },
      (r) => r.event?.type === "CallEnded",
    );
    expect(resumed.map((r) => `${r.event!.stream}#${r.event!.streamVersion}`)).toEqual(
      live
        .slice(cut + 1)
        .filter((r) => r.event?.stream === `call-${callId}`)
        .map((r) => `${r.event!.stream}#${r.event!.streamVersion}`),
    );
  });

  it("hangs up a call through the API", async () => {
    const { commands, agents } = defineAgents(["api_h"]);
    const flow = flowOnNumber("api_hang", "c", {
      c: { kind: "connect", target: { kind: "agent", agentId: "api_h" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, ["api_h"]);
    p.driver.setPhone(agents.api_h!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    const callId = await placeCall(p, { from: "+14155550198", to: flow.number });
    const name = `calls/${callId}`;
    await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name }, TOKENS.boss).catch(() => undefined);
      return c?.currentAgent === "agents/api_h" ? c : undefined;
    }, "caller connected");
    const hungUp = await unary(calls, calls.hangUpCall, { name, reason: "supervisor ended it" }, TOKENS.boss);
    expect(hungUp.state).toBe(Call_State.STATE_ENDED);
    const ended = await endedCall(p, callId);
    expect(ended.of("CallEnded")[0]?.reason).toBeDefined();
    const again = await failure(unary(calls, calls.hangUpCall, { name, reason: "" }, TOKENS.boss));
    expect(again.code).toBe(status.FAILED_PRECONDITION);
  });
});

describe("queues through the API", () => {
  it("shows a waiting caller with position and wait, and an empty queue once it is offered", async () => {
    const { commands, agents } = defineAgents(["api_q"]);
    const flow = flowOnNumber("api_queue", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "api_qg" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [
      ...commands,
      {
        type: "DefineGroup",
        groupId: "api_qg",
        name: "Queue group",
        strategy: "longestIdle",
        members: ["api_q"],
        ringTimeoutSec: 10,
        queue: { enabled: true, maxWaitSec: 3_600, maxSize: 5 },
      },
      ...flow.commands,
    ]);
    await signIn(p, ["api_q"]);
    p.driver.setPhone(agents.api_q!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    const first = await placeCall(p, { from: "+14155550197", to: flow.number });
    await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name: `calls/${first}` }, TOKENS.boss).catch(
        () => undefined,
      );
      return c?.currentAgent === "agents/api_q" ? c : undefined;
    }, "first caller connected");
    const second = await placeCall(p, { from: "+14155550196", to: flow.number });
    const queued = await eventually(async () => {
      const q = await unary(queues, queues.getQueue, { name: "queues/api_qg" }, TOKENS.boss);
      return q.entries.length === 1 ? q : undefined;
    }, "second caller queued");
    expect(queued).toMatchObject({ group: "groups/api_qg", enabled: true, maxSize: 5 });
    expect(queued.entries[0]).toMatchObject({ call: `calls/${second}`, position: 1 });
    expect(queued.entries[0]!.waitSeconds).toBeGreaterThanOrEqual(0);
    const all = await unary(queues, queues.listQueues, { pageSize: 0, pageToken: "" }, TOKENS.boss);
    expect(all.queues.map((q) => q.name)).toContain("queues/api_qg");
    // The first call ends: the queued caller is offered to the agent and leaves the queue.
    await unary(calls, calls.hangUpCall, { name: `calls/${first}`, reason: "" }, TOKENS.boss);
    await eventually(async () => {
      const q = await unary(queues, queues.getQueue, { name: "queues/api_qg" }, TOKENS.boss);
      return q.entries.length === 0 ? q : undefined;
    }, "queue empty");
    await unary(calls, calls.hangUpCall, { name: `calls/${second}`, reason: "" }, TOKENS.boss).catch(
      () => undefined,
    );
  });
});
