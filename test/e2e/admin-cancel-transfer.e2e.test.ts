// CancelTransfer through the generated client, on the whole platform: the agent on the call starts a warm
// transfer, consults the target, then cancels it — the caller stays with the agent, the target's leg ends,
// the transfer reads FAILED; another agent may not cancel it. The call's decisions then replay to the same.
// And a blind transfer started through the API by the agent on the call: the agent's leg ends at once, the
// target answers and talks with the caller.
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
  CallServiceClient,
  ReplayCallResponse_Outcome,
  Transfer,
  Transfer_Mode,
  Transfer_State,
} from "@switchyard/admin-proto";
import type { CallEvent } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  newNumber,
  placeCall,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";

let p: E2EPlatform;
let api: AdminApi;
let calls: CallServiceClient;
const TOKENS = { a: randomUUID(), b: randomUUID(), blindA: randomUUID(), blindB: randomUUID() };

beforeAll(async () => {
  p = await startE2E();
  api = await startAdminApi({
    eventStore: p.eventStore,
    bus: await p.buses.busOf("admin-api"),
    clock: p.clock,
    authenticate: authenticator({
      tokens: [
        { name: "a", role: "agent", agentId: "ct_a", sha256: hashToken(TOKENS.a) },
        { name: "b", role: "agent", agentId: "ct_b", sha256: hashToken(TOKENS.b) },
        { name: "blind-a", role: "agent", agentId: "bt_a", sha256: hashToken(TOKENS.blindA) },
        { name: "blind-b", role: "agent", agentId: "bt_b", sha256: hashToken(TOKENS.blindB) },
      ],
    }),
  });
  calls = new CallServiceClient(api.target, credentials.createInsecure());
});

afterAll(async () => {
  calls?.close();
  await api?.[Symbol.asyncDispose]();
  await p?.close();
});

function unary<Req, Res>(
  client: Client,
  method: (
    r: Req,
    m: Metadata,
    o: Partial<CallOptions>,
    cb: (e: ServiceError | null, res: Res) => void,
  ) => unknown,
  request: Req,
  token: string,
): Promise<Res> {
  const m = new Metadata();
  m.set("authorization", `Bearer ${token}`);
  return new Promise((resolve, reject) =>
    method.call(client, request, m, {}, (e, res) => (e ? reject(e) : resolve(res))),
  );
}

describe("CancelTransfer", () => {
  it("the agent cancels its warm transfer while consulting: the caller stays with it", async () => {
    const { commands, agents } = defineAgents(["ct_a", "ct_b"]);
    const flow = flowOnNumber("ct_flow", "c", {
      c: { kind: "connect", target: { kind: "agent", agentId: "ct_a" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, ["ct_a", "ct_b"]);
    p.driver.setPhone(agents.ct_a!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    p.driver.setPhone(agents.ct_b!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    const callId = await placeCall(p, { from: newNumber(), to: flow.number });
    const name = `calls/${callId}`;
    await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name }, TOKENS.a).catch(() => undefined);
      return c?.currentAgent === "agents/ct_a" ? c : undefined;
    }, "caller connected to ct_a");

    const started = await unary(
      calls,
      calls.startTransfer,
      {
        parent: name,
        transfer: Transfer.fromPartial({ mode: Transfer_Mode.MODE_WARM, agent: "agents/ct_b" }),
        transferId: "ct1",
      },
      TOKENS.a,
    );
    expect(started.name).toBe(`${name}/transfers/ct1`);
    await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name }, TOKENS.a);
      return c.transfer?.state === Transfer_State.STATE_CONSULTING ? c : undefined;
    }, "ct_a consulting ct_b");

    const notYours = await unary(calls, calls.cancelTransfer, { name: started.name }, TOKENS.b).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(notYours?.code).toBe(status.PERMISSION_DENIED);
    const cancelled = await unary(calls, calls.cancelTransfer, { name: started.name }, TOKENS.a);
    expect(cancelled.state).toBe(Transfer_State.STATE_FAILED);

    const after = await unary(calls, calls.getCall, { name }, TOKENS.a);
    expect(after.currentAgent).toBe("agents/ct_a");
    expect(after.transfer).toBeUndefined();
    const again = await unary(calls, calls.cancelTransfer, { name: started.name }, TOKENS.a).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(again?.code).toBe(status.FAILED_PRECONDITION);

    // The caller and ct_a talk on; the caller hangs up through the API, and the call's decisions replay.
    await unary(calls, calls.hangUpCall, { name, reason: "done" }, TOKENS.a);
    const ended = await endedCall(p, callId);
    expect(ended.of("TransferFailed")).toHaveLength(1);
    expect(ended.of("TransferCompleted")).toHaveLength(0);
    const consult = ended.of("LegOriginateRequested").find((l) => l.role === "consult")!;
    expect(ended.of("LegEnded").some((l) => l.legId === consult.legId)).toBe(true);
    const replay = await unary(calls, calls.replayCall, { name }, TOKENS.a);
    expect(replay.decisions.map((d) => d.inputType)).toEqual(
      expect.arrayContaining(["RequestTransfer", "CancelTransfer", "HangUp"]),
    );
    expect(replay.outcome).toBe(ReplayCallResponse_Outcome.OUTCOME_MATCH);
  });
});

describe("blind StartTransfer", () => {
  it("the agent blind-transfers its call through the API: it leaves at once, the caller talks with the target", async () => {
    const { commands, agents } = defineAgents(["bt_a", "bt_b"]);
    const flow = flowOnNumber("bt_flow", "c", {
      c: { kind: "connect", target: { kind: "agent", agentId: "bt_a" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [...commands, ...flow.commands]);
    await signIn(p, ["bt_a", "bt_b"]);
    p.driver.setPhone(agents.bt_a!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    p.driver.setPhone(agents.bt_b!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    const callId = await placeCall(p, { from: newNumber(), to: flow.number });
    const name = `calls/${callId}`;
    await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name }, TOKENS.blindA).catch(() => undefined);
      return c?.currentAgent === "agents/bt_a" ? c : undefined;
    }, "caller connected to bt_a");

    const started = await unary(
      calls,
      calls.startTransfer,
      {
        parent: name,
        transfer: Transfer.fromPartial({ mode: Transfer_Mode.MODE_BLIND, agent: "agents/bt_b" }),
        transferId: "bt1",
      },
      TOKENS.blindA,
    );
    expect(started).toMatchObject({ name: `${name}/transfers/bt1`, mode: Transfer_Mode.MODE_BLIND });
    await eventually(async () => {
      const c = await unary(calls, calls.getCall, { name }, TOKENS.blindA);
      return c.currentAgent === "agents/bt_b" && c.transfer === undefined ? c : undefined;
    }, "the caller with bt_b");

    // Before anyone hangs up: bt_a's leg has already ended (blind), bt_b's is up.
    const sofar = (await streamOf(p, callId)) as unknown as CallEvent[];
    const legOf = (agentId: string) =>
      sofar.flatMap((e) =>
        e.type === "LegOriginateRequested" && e.data.agentId === agentId ? [e.data.legId] : [],
      )[0];
    const endedLegs = sofar.flatMap((e) => (e.type === "LegEnded" ? [e.data.legId] : []));
    expect(endedLegs).toContain(legOf("bt_a"));
    expect(endedLegs).not.toContain(legOf("bt_b"));

    // The call is no longer bt_a's to act on; it is bt_b's.
    const notAnyMore = await unary(calls, calls.hangUpCall, { name, reason: "done" }, TOKENS.blindA).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(notAnyMore?.code).toBe(status.PERMISSION_DENIED);
    await unary(calls, calls.hangUpCall, { name, reason: "done" }, TOKENS.blindB);
    const ended = await endedCall(p, callId);
    expect(ended.of("TransferCompleted")).toHaveLength(1);
    expect(ended.of("TransferFailed")).toHaveLength(0);
    const replay = await unary(calls, calls.replayCall, { name }, TOKENS.blindA);
    expect(replay.outcome).toBe(ReplayCallResponse_Outcome.OUTCOME_MATCH);
  });
});
