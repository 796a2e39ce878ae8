// ReplayCall on the whole platform, through the generated client: a call routed by the router (greeting,
// round-robin group, answered, hung up) is re-decided decision by decision from its recorded inputs and
// matches; then the test tampers with its own schema's log — a recorded decision's event, and a decision's
// recorded input — and the replay names the first decision and event that no longer match.
import {
  type CallOptions,
  type Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import { type AdminApi, start as startAdminApi } from "@switchyard/admin-api";
import {
  CallServiceClient,
  ReplayCallResponse_Outcome as Outcome,
  ReplayedDecision_Result as Result,
} from "@switchyard/admin-proto";
import { runCli } from "@switchyard/cli";
import type { RecordedDecisionInput } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callInput,
  callStateOf,
  defineAgents,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  newNumber,
  placeCall,
  say,
  signIn,
  startE2E,
  streamOf,
} from "./harness.js";

let p: E2EPlatform;
let api: AdminApi;
let calls: CallServiceClient;

beforeAll(async () => {
  p = await startE2E();
  api = await startAdminApi({
    eventStore: p.eventStore,
    bus: await p.buses.busOf("admin-api"),
    clock: p.clock,
    authenticate: () => ({ actor: "e2e", role: "readonly" }),
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
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, request, new Metadata(), {}, (e, res) => (e ? reject(e) : resolve(res))),
  );
}

/** `switchyard calls replay <id>` against this API. */
async function cliReplay(callId: string): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const code = await runCli({
    command: "calls",
    args: ["replay", callId],
    flags: { server: api.target },
    env: {},
    signal: new AbortController().signal,
    out: (l) => out.push(l),
    err: (l) => out.push(l),
  });
  return { code, out: out.join("\n") };
}

const replay = (callId: string) => unary(calls, calls.replayCall, { name: `calls/${callId}` });

/** Overwrites one stored event of the call (the test's own schema). */
async function tamper(
  callId: string,
  version: number,
  change: { data?: unknown; metadata?: Record<string, unknown> },
): Promise<void> {
  await p.eventStore.db
    .updateTable("events")
    .set({
      ...(change.data === undefined ? {} : { data: JSON.stringify(change.data) }),
      ...(change.metadata === undefined ? {} : { metadata: JSON.stringify(change.metadata) }),
    })
    .where("stream_id", "=", `call-${callId}`)
    .where("stream_version", "=", version)
    .execute();
}

describe("ReplayCall", () => {
  it("a routed call's decisions match their recorded inputs; tampering is found at the first differing event", async () => {
    const { commands, agents } = defineAgents(["rp_a", "rp_b"]);
    const flow = flowOnNumber("rp_flow", "hello", {
      hello: say("Thanks for calling", "c"),
      c: { kind: "connect", target: { kind: "group", groupId: "rp_g" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [
      ...commands,
      { type: "DefineGroup", groupId: "rp_g", name: "rp", strategy: "roundRobin", members: ["rp_a", "rp_b"] },
      ...flow.commands,
    ]);
    await signIn(p, ["rp_a", "rp_b"]);
    p.driver.setPhone(agents.rp_a!.number, { kind: "answer", afterSec: 1 });
    p.driver.setPhone(agents.rp_b!.number, { kind: "answer", afterSec: 1 });
    const callId = await placeCall(p, { from: newNumber(), to: flow.number, talkSec: 5 });
    const call = await endedCall(p, callId);

    const clean = await replay(callId);
    expect(clean.outcome).toBe(Outcome.OUTCOME_MATCH);
    expect(clean.firstMismatch).toBeUndefined();
    expect(clean.decisions.every((d) => d.result === Result.RESULT_MATCH)).toBe(true);
    // Every call event belongs to exactly one replayed decision.
    expect(clean.decisions.reduce((n, d) => n + d.eventCount, 0)).toBe(call.events.length);
    const inputs = clean.decisions.map((d) => d.inputType);
    expect(inputs[0]).toBe("StartCall");
    expect(inputs).toEqual(expect.arrayContaining(["PlaybackFinished", "LegAnswered", "LegEnded"]));
    const cleanCli = await cliReplay(callId);
    expect(cleanCli.code).toBe(0);
    expect(cleanCli.out).toContain(`calls/${callId}: match (${clean.decisions.length} decisions)`);

    // 1. A recorded event changed: the decision that routed the call now "chose" the other agent.
    const routed = call.events.find((e) => e.type === "RoutingDecided")!;
    const decided = routed.data as { chosen: string[] };
    const other = decided.chosen[0] === "rp_a" ? "rp_b" : "rp_a";
    await tamper(callId, routed.streamVersion, { data: { ...decided, chosen: [other] } });
    const tampered = await replay(callId);
    expect(tampered.outcome).toBe(Outcome.OUTCOME_MISMATCH);
    const mismatch = tampered.firstMismatch!;
    const decision = tampered.decisions[mismatch.decision]!;
    expect(decision.result).toBe(Result.RESULT_MISMATCH);
    expect(decision.firstStreamVersion).toBeLessThanOrEqual(routed.streamVersion);
    expect(decision.firstStreamVersion + decision.eventCount).toBeGreaterThan(routed.streamVersion);
    expect(mismatch.recorded).toMatchObject({ type: "RoutingDecided", streamVersion: routed.streamVersion });
    expect((mismatch.recorded!.data as { chosen: string[] }).chosen).toEqual([other]);
    expect(mismatch.replayedType).toBe("RoutingDecided");
    expect((mismatch.replayedData as { chosen: string[] }).chosen).toEqual(decided.chosen);
    // The decisions before it still match.
    expect(
      tampered.decisions.slice(0, mismatch.decision).every((d) => d.result === Result.RESULT_MATCH),
    ).toBe(true);
    const tamperedCli = await cliReplay(callId);
    expect(tamperedCli.code).toBe(1);
    expect(tamperedCli.out).toContain(`calls/${callId}: mismatch`);
    expect(tamperedCli.out).toContain(`first difference, decision ${mismatch.decision + 1}:`);
    expect(tamperedCli.out).toContain(`recorded v${routed.streamVersion} RoutingDecided`);
    await tamper(callId, routed.streamVersion, { data: decided });
    expect((await replay(callId)).outcome).toBe(Outcome.OUTCOME_MATCH);

    // 2. A recorded input changed: the StartCall decision said to have come in from another number.
    const first = call.events[0]!;
    const input = first.metadata.decisionInput as RecordedDecisionInput;
    const forged = { ...input, command: { ...input.command, from: "+15550000000" } };
    const startEvents = call.events.filter((e) => e.metadata.causationId === first.metadata.causationId);
    for (const e of startEvents)
      await tamper(callId, e.streamVersion, { metadata: { ...e.metadata, decisionInput: forged } });
    const forgedReplay = await replay(callId);
    expect(forgedReplay.outcome).toBe(Outcome.OUTCOME_MISMATCH);
    expect(forgedReplay.firstMismatch?.decision).toBe(0);
    expect(forgedReplay.firstMismatch?.recorded).toMatchObject({ type: "CallStarted", streamVersion: 1 });
    expect((forgedReplay.firstMismatch!.replayedData as { from: string }).from).toBe("+15550000000");

    for (const e of startEvents) await tamper(callId, e.streamVersion, { metadata: e.metadata });
    expect((await replay(callId)).outcome).toBe(Outcome.OUTCOME_MATCH);

    // 3. A recorded read the log cannot give back (an agent stream version it never reached).
    const routing = call.events.find(
      (e) => e.metadata.causationId === routed.metadata.causationId && e.metadata.decisionInput,
    )!;
    const routingInput = routing.metadata.decisionInput as RecordedDecisionInput;
    const agentRead = Object.keys(routingInput.reads.agents)[0]!;
    await tamper(callId, routing.streamVersion, {
      metadata: {
        ...routing.metadata,
        decisionInput: {
          ...routingInput,
          reads: { ...routingInput.reads, agents: { ...routingInput.reads.agents, [agentRead]: 999_999 } },
        },
      },
    });
    const unreadable = await replay(callId);
    expect(unreadable.outcome).toBe(Outcome.OUTCOME_MISMATCH);
    const bad = unreadable.decisions[unreadable.firstMismatch!.decision]!;
    expect(bad.causationId).toBe(routed.metadata.causationId);
    expect(bad.note).toContain(`agent-${agentRead} has`);
    expect(bad.note).toContain("read version 999999");
    await tamper(callId, routing.streamVersion, { metadata: routing.metadata });

    // 4. An input that was never recorded (a decision written before inputs were): not a mismatch.
    for (const e of startEvents) {
      const { decisionInput: _, ...rest } = e.metadata;
      await tamper(callId, e.streamVersion, { metadata: rest });
    }
    const unrecorded = await replay(callId);
    expect(unrecorded.decisions[0]?.result).toBe(Result.RESULT_NOT_RECORDED);
    expect(unrecorded.outcome).toBe(Outcome.OUTCOME_INCOMPLETE);
  });

  it("queued and transferred calls replay to the same decisions (queue offers, timers, a transfer)", async () => {
    const { commands, agents } = defineAgents(["rq_a", "rq_b"]);
    const flow = flowOnNumber("rq_flow", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "rq_g" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [
      ...commands,
      {
        type: "DefineGroup",
        groupId: "rq_g",
        name: "rq",
        strategy: "longestIdle",
        members: ["rq_a"],
        ringTimeoutSec: 10,
        queue: { enabled: true, maxWaitSec: 600, announcePosition: true, announceEverySec: 5 },
      },
      ...flow.commands,
    ]);
    await signIn(p, ["rq_a", "rq_b"]);
    p.driver.setPhone(agents.rq_a!.number, { kind: "answer", afterSec: 1, talkSec: 600 });
    p.driver.setPhone(agents.rq_b!.number, { kind: "answer", afterSec: 1, talkSec: 5 });
    const first = await placeCall(p, { from: newNumber(), to: flow.number });
    await eventually(
      async () => ((await callStateOf(p, first)).agentLegId !== undefined ? true : undefined),
      "rq_a on the first call",
    );
    const second = await placeCall(p, { from: newNumber(), to: flow.number, talkSec: 3 });
    // Queued, and its position-announcement timer fired once (a TimerFired decision).
    await eventually(
      async () => ((await streamOf(p, second)).some((e) => e.type === "TimerElapsed") ? true : undefined),
      "the second call queued and its timer fired",
    );
    // rq_a hands the first caller to rq_b (blind), is free again, and takes the queued caller.
    await callInput(p, first, {
      type: "RequestTransfer",
      transferId: "t1",
      mode: "blind",
      target: { kind: "agent", agentId: "rq_b" },
    });
    const [one, two] = await Promise.all([endedCall(p, first), endedCall(p, second)]);
    expect(one!.of("TransferCompleted")).toHaveLength(1);
    expect(two!.of("CallerDequeued").length).toBeGreaterThan(0);

    for (const [callId, mustHave] of [
      [first, ["StartCall", "RequestTransfer"]],
      [second, ["StartCall", "TimerFired", "OfferAgent"]],
    ] as const) {
      const r = await replay(callId);
      expect(r.firstMismatch, JSON.stringify(r.firstMismatch)).toBeUndefined();
      expect(r.outcome).toBe(Outcome.OUTCOME_MATCH);
      expect(r.decisions.map((d) => d.inputType)).toEqual(expect.arrayContaining([...mustHave]));
    }
  });

  it("an unknown call is NOT_FOUND, a malformed name INVALID_ARGUMENT", async () => {
    const missing = await replay("no-such-call").then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(missing?.code).toBe(status.NOT_FOUND);
    const bad = await unary(calls, calls.replayCall, { name: "agents/x" }).then(
      () => undefined,
      (e: ServiceError) => e,
    );
    expect(bad?.code).toBe(status.INVALID_ARGUMENT);
  });
});
