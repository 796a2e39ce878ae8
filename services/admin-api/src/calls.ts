// CallService: reads a call from its stream (events, routing decisions), lists calls from the CallIndex
// projection, streams recorded events resumably, and sends the dashboard's actions (hang up, transfer
// start/complete/cancel) to the router as call inputs, answering once the call has recorded their effect.
import {
  Call,
  Call_State,
  Connect_CallerId,
  RecordedEvent as RecordedEventPb,
  RoutingDecision as RoutingDecisionPb,
  Transfer,
  Transfer_Mode,
  Transfer_State,
} from "@switchyard/admin-proto";
import { type CallInput, type CallInputMessage, callInputSubject } from "@switchyard/contracts";
import type { Checkpoint, RecordedEvent } from "@switchyard/event-store";
import {
  type CallEvent,
  type CallerIdOption,
  type CallState,
  callStreamId,
  foldCall,
  isE164,
  type RoutingDecision,
  type TransferTarget,
} from "@switchyard/routing-domain";
import { authorize } from "./auth.js";
import type { CallIndex, CallSummary } from "./call-index.js";
import type { ApiContext, Caller } from "./context.js";
import {
  type FieldViolation,
  InvalidRequestError,
  PreconditionError,
  ResourceNotFoundError,
} from "./errors.js";
import { paginate, parseFilter } from "./listing.js";
import { ID, idViolation, nameOf, parseName, requiredViolation, textViolation } from "./names.js";

const CALL = "switchyard.admin.v1.Call";
const TRANSFER = "switchyard.admin.v1.Transfer";
/** Call ids come from gateways: allow what a stream id and a NATS subject token can carry. */
const CALL_ID = /^[A-Za-z0-9_.:@=-]{1,128}$/;

function callIdFrom(name: string, field: string): string {
  const id = name.startsWith("calls/") ? name.slice("calls/".length) : "";
  if (!CALL_ID.test(id))
    throw new InvalidRequestError([
      {
        field,
        description: `"${name.slice(0, 80)}" is not a resource name of the form calls/{call}`,
        reason: "INVALID_NAME",
      },
    ]);
  return id;
}

function transferNameParts(name: string, field: string): { callId: string; transferId: string } {
  const m = /^calls\/([^/]+)\/transfers\/([^/]+)$/.exec(name);
  if (!m || !CALL_ID.test(m[1]!) || !CALL_ID.test(m[2]!))
    throw new InvalidRequestError([
      {
        field,
        description: `"${name.slice(0, 80)}" is not a resource name of the form calls/{call}/transfers/{transfer}`,
        reason: "INVALID_NAME",
      },
    ]);
  return { callId: m[1]!, transferId: m[2]! };
}

interface LoadedCall {
  readonly callId: string;
  readonly events: readonly RecordedEvent[];
  readonly state: CallState;
}

async function loadCall(ctx: ApiContext, callId: string): Promise<LoadedCall> {
  const events = await ctx.store.readStream(callStreamId(callId));
  if (events.length === 0) throw new ResourceNotFoundError(CALL, `calls/${callId}`);
  return {
    callId,
    events,
    state: foldCall(events.map((e) => ({ type: e.type, data: e.data }) as CallEvent)),
  };
}

/** The agent connected to the caller now, if any. */
const currentAgent = (s: CallState): string | undefined =>
  s.agentLegId === undefined ? undefined : s.legs[s.agentLegId]?.agentId;

export const toRecordedEventPb = (e: RecordedEvent): RecordedEventPb =>
  RecordedEventPb.fromPartial({
    stream: e.streamId,
    streamVersion: e.streamVersion,
    type: e.type,
    data: e.data as Record<string, unknown>,
    recordTime: e.recordedAt,
    position: Number(e.position),
  });

const TRANSFER_MODES: Record<"warm" | "blind", Transfer_Mode> = {
  warm: Transfer_Mode.MODE_WARM,
  blind: Transfer_Mode.MODE_BLIND,
};

const targetPb = (t: TransferTarget) =>
  t.kind === "agent"
    ? { agent: nameOf("agents", t.agentId) }
    : t.kind === "group"
      ? { group: nameOf("groups", t.groupId) }
      : { number: t.number };

const CALLER_ID_PB: Record<"business" | "caller" | "custom", Connect_CallerId> = {
  business: Connect_CallerId.CALLER_ID_BUSINESS,
  caller: Connect_CallerId.CALLER_ID_CALLER,
  custom: Connect_CallerId.CALLER_ID_CUSTOM,
};

/** The transfer request's caller ID option (unspecified: the business number). */
function callerIdOf(t: Transfer, violations: FieldViolation[]): CallerIdOption | undefined {
  switch (t.callerId) {
    case Connect_CallerId.CALLER_ID_UNSPECIFIED:
      return undefined;
    case Connect_CallerId.CALLER_ID_BUSINESS:
      return { kind: "business" };
    case Connect_CallerId.CALLER_ID_CALLER:
      return { kind: "caller" };
    case Connect_CallerId.CALLER_ID_CUSTOM:
      if (isE164(t.customCallerId)) return { kind: "custom", number: t.customCallerId };
      violations.push({
        field: "transfer.custom_caller_id",
        description: "CALLER_ID_CUSTOM needs an E.164 number",
        reason: "INVALID_E164",
      });
      return undefined;
    default:
      violations.push({
        field: "transfer.caller_id",
        description: `unknown value ${t.callerId}`,
        reason: "INVALID_ENUM",
      });
      return undefined;
  }
}

/** A transfer as the call's events tell it. */
function transferOf(loaded: LoadedCall, transferId: string): Transfer | undefined {
  let transfer: Transfer | undefined;
  for (const e of loaded.events) {
    if (transfer?.state === Transfer_State.STATE_RINGING && e.type === "RoutingDecided") {
      // The transfer's ring decision (it names no transfer id): the caller ID it rang with, which is the
      // business number when the caller's was asked without pass-through.
      const decided = e.data as unknown as RoutingDecision;
      if (decided.purpose === "transfer") {
        transfer = {
          ...transfer,
          callerId: CALLER_ID_PB[decided.callerId.source],
          customCallerId: decided.callerId.source === "custom" ? decided.callerId.number : "",
        };
      }
      continue;
    }
    const data = e.data as { transferId?: string; reason?: string };
    if (data.transferId !== transferId) continue;
    if (e.type === "TransferRequested") {
      const d = e.data as Extract<CallEvent, { type: "TransferRequested" }>["data"];
      transfer = Transfer.fromPartial({
        name: `calls/${loaded.callId}/transfers/${transferId}`,
        mode: TRANSFER_MODES[d.mode],
        ...targetPb(d.target),
        state: Transfer_State.STATE_RINGING,
      });
    } else if (transfer && e.type === "TransferCompleted")
      transfer = { ...transfer, state: Transfer_State.STATE_COMPLETED };
    else if (transfer && e.type === "TransferFailed")
      transfer = { ...transfer, state: Transfer_State.STATE_FAILED, failureReason: data.reason ?? "" };
  }
  if (
    transfer?.state === Transfer_State.STATE_RINGING &&
    loaded.state.transfer?.transferId === transferId &&
    loaded.state.transfer.phase === "consulting"
  )
    transfer = { ...transfer, state: Transfer_State.STATE_CONSULTING };
  return transfer;
}

function decisionPb(d: RoutingDecision): RoutingDecisionPb {
  return RoutingDecisionPb.fromPartial({
    applet: d.appletId,
    purpose: d.purpose,
    strategy: d.strategy ?? "",
    group: d.groupId === undefined ? "" : nameOf("groups", d.groupId),
    configVersion: d.configVersion,
    seed: d.seed,
    candidates: d.candidates.map((c) => ({
      agent: nameOf("agents", c.agentId),
      status: c.status,
      idleSeconds: Math.round(c.idleSec),
      callsInPeriod: c.callsInPeriod,
      chosen: c.chosen,
      reason: c.reason,
    })),
    chosen: d.chosen.map((a) => nameOf("agents", a)),
    reason: d.reason,
    candidatesOmitted: d.candidatesOmitted ?? 0,
  });
}

function toCall(loaded: LoadedCall, details: boolean): Call {
  const s = loaded.state;
  const started = loaded.events.find((e) => e.type === "CallStarted")?.data as { at?: number } | undefined;
  const ended = loaded.events.find((e) => e.type === "CallEnded")?.data as { at?: number } | undefined;
  const agent = currentAgent(s);
  const transfer = s.transfer ? transferOf(loaded, s.transfer.transferId) : undefined;
  return Call.fromPartial({
    name: `calls/${loaded.callId}`,
    state: s.status === "ended" ? Call_State.STATE_ENDED : Call_State.STATE_ACTIVE,
    from: s.from,
    to: s.to,
    flow: s.flowId ? nameOf("flows", s.flowId) : "",
    configVersion: s.configVersion,
    ...(started?.at === undefined ? {} : { startTime: new Date(started.at) }),
    ...(ended?.at === undefined ? {} : { endTime: new Date(ended.at) }),
    endReason: s.endReason ?? "",
    currentAgent: agent === undefined || s.status === "ended" ? "" : nameOf("agents", agent),
    ...(transfer ? { transfer } : {}),
    events: details ? loaded.events.map(toRecordedEventPb) : [],
    decisions: details
      ? loaded.events
          .filter((e) => e.type === "RoutingDecided")
          .map((e) => decisionPb(e.data as RoutingDecision))
      : [],
    version: s.version,
  });
}

/** The call's recorded events (NOT_FOUND when there are none). */
export async function readCallEvents(ctx: ApiContext, name: string): Promise<readonly RecordedEvent[]> {
  return (await loadCall(ctx, callIdFrom(name, "name"))).events;
}

export async function getCall(ctx: ApiContext, name: string): Promise<Call> {
  return toCall(await loadCall(ctx, callIdFrom(name, "name")), true);
}

function summaryCall(c: CallSummary): Call {
  return Call.fromPartial({
    name: `calls/${c.callId}`,
    state: c.endedAt === undefined ? Call_State.STATE_ACTIVE : Call_State.STATE_ENDED,
    from: c.from,
    to: c.to,
    flow: c.flowId ? nameOf("flows", c.flowId) : "",
    startTime: new Date(c.startedAt),
    ...(c.endedAt === undefined ? {} : { endTime: new Date(c.endedAt) }),
    endReason: c.endReason ?? "",
  });
}

export async function listCalls(
  index: CallIndex,
  request: { pageSize: number; pageToken: string; filter: string },
) {
  const terms = parseFilter(request.filter, ["state", "agent", "to", "from"], ["start_time"]);
  await index.catchUp();
  let calls = index.list();
  for (const t of terms) {
    if (t.field === "start_time") {
      // RFC 3339, e.g. start_time >= "2026-11-30T08:00:00Z" AND start_time < "2026-11-30T18:00:00Z".
      const at = Date.parse(t.value);
      if (!/^\d{4}-\d\d-\d\dT/.test(t.value) || Number.isNaN(at))
        throw new InvalidRequestError([
          { field: "filter", description: "start_time takes an RFC 3339 time", reason: "INVALID_FILTER" },
        ]);
      const keep = {
        "=": (x: number) => x === at,
        "<": (x: number) => x < at,
        "<=": (x: number) => x <= at,
        ">": (x: number) => x > at,
        ">=": (x: number) => x >= at,
      }[t.op];
      calls = calls.filter((c) => keep(c.startedAt));
    } else if (t.field === "state") {
      if (t.value !== "ACTIVE" && t.value !== "ENDED")
        throw new InvalidRequestError([
          { field: "filter", description: "state is ACTIVE or ENDED", reason: "INVALID_FILTER" },
        ]);
      calls = calls.filter((c) => (c.endedAt === undefined) === (t.value === "ACTIVE"));
    } else if (t.field === "agent") {
      const parsed = parseName("agents", t.value, "filter");
      if ("violation" in parsed) throw new InvalidRequestError([parsed.violation]);
      calls = calls.filter((c) => c.agents.includes(parsed.id));
    } else calls = calls.filter((c) => (t.field === "to" ? c.to : c.from) === t.value);
  }
  // Newest first: a key that sorts descending by the CallStarted position.
  const key = (c: CallSummary) => (10n ** 18n - c.position).toString().padStart(19, "0");
  const page = paginate(calls, key, request);
  return { calls: page.items.map(summaryCall), nextPageToken: page.nextPageToken };
}

const POLL_MS = 25;
const POLLS = 400;

/** Sends an input to the call, then waits until its stream shows `done` (or the budget / call ends). */
async function sendAndWait(
  ctx: ApiContext,
  loaded: LoadedCall,
  input: CallInput,
  done: (after: LoadedCall) => boolean,
  signal: AbortSignal,
): Promise<LoadedCall> {
  const message: CallInputMessage = {
    messageId: ctx.newId(),
    callId: loaded.callId,
    input,
    at: ctx.clock.now(),
  };
  await ctx.bus.publish(callInputSubject(loaded.callId), message, { msgId: message.messageId });
  let after = loaded;
  for (let i = 0; i < POLLS && !signal.aborted; i++) {
    if (after !== loaded && done(after)) return after;
    await new Promise((r) => setTimeout(r, POLL_MS));
    after = await loadCall(ctx, loaded.callId);
  }
  return after;
}

function requireActive(loaded: LoadedCall): void {
  if (loaded.state.status !== "active")
    throw new PreconditionError([
      {
        type: "CALL_STATE",
        subject: `calls/${loaded.callId}`,
        description: `the call is ${loaded.state.status}`,
      },
    ]);
}

export async function hangUpCall(
  ctx: ApiContext,
  caller: Caller,
  request: { name: string; reason: string },
  signal: AbortSignal,
): Promise<Call> {
  const badReason = textViolation(request.reason, "reason", { required: false });
  if (badReason) throw new InvalidRequestError([badReason]);
  const loaded = await loadCall(ctx, callIdFrom(request.name, "name"));
  const agent = currentAgent(loaded.state);
  authorize(caller, "callControl", agent === undefined ? [] : [agent]);
  requireActive(loaded);
  const reason = (request.reason || `hung up by ${caller.actor}`).slice(0, 200);
  const after = await sendAndWait(
    ctx,
    loaded,
    { type: "HangUp", reason },
    (c) => c.state.status === "ended",
    signal,
  );
  return toCall(after, false);
}

export async function startTransfer(
  ctx: ApiContext,
  caller: Caller,
  request: { parent: string; transfer?: Transfer; transferId: string },
  signal: AbortSignal,
): Promise<Transfer> {
  const callId = callIdFrom(request.parent, "parent");
  const violations: FieldViolation[] = [];
  const t = request.transfer;
  let mode: "warm" | "blind" | undefined;
  let callerId: CallerIdOption | undefined;
  let target: TransferTarget | undefined;
  if (!t) violations.push(requiredViolation("transfer"));
  else {
    if (t.mode === Transfer_Mode.MODE_WARM) mode = "warm";
    else if (t.mode === Transfer_Mode.MODE_BLIND) mode = "blind";
    else
      violations.push({
        field: "transfer.mode",
        description: "MODE_WARM or MODE_BLIND",
        reason: "INVALID_ENUM",
      });
    if (t.agent !== undefined) {
      const p = parseName("agents", t.agent, "transfer.agent");
      if ("violation" in p) violations.push(p.violation);
      else target = { kind: "agent", agentId: p.id };
    } else if (t.group !== undefined) {
      const p = parseName("groups", t.group, "transfer.group");
      if ("violation" in p) violations.push(p.violation);
      else target = { kind: "group", groupId: p.id };
    } else if (t.number !== undefined) {
      if (isE164(t.number)) target = { kind: "number", number: t.number };
      else
        violations.push({
          field: "transfer.number",
          description: "not an E.164 number",
          reason: "INVALID_E164",
        });
    } else
      violations.push({
        field: "transfer.target",
        description: "one of agent, group, number",
        reason: "REQUIRED",
      });
  }
  const transferId = request.transferId || ctx.newId();
  if (request.transferId !== "" && !ID.test(request.transferId)) {
    const bad = idViolation(request.transferId, "transfer_id");
    if (bad) violations.push(bad);
  }
  if (t) callerId = callerIdOf(t, violations);
  if (violations.length > 0 || !mode || !target) throw new InvalidRequestError(violations);

  const loaded = await loadCall(ctx, callId);
  const agent = currentAgent(loaded.state);
  authorize(caller, "callControl", agent === undefined ? [] : [agent]);
  requireActive(loaded);
  const existing = transferOf(loaded, transferId);
  if (existing) return existing; // a retried request: the transfer is already under way
  const config = (await ctx.config.current()).snapshot;
  if (target.kind === "agent" && !config.agents[target.agentId])
    throw new ResourceNotFoundError("switchyard.admin.v1.Agent", nameOf("agents", target.agentId));
  if (target.kind === "group" && !config.groups[target.groupId])
    throw new ResourceNotFoundError("switchyard.admin.v1.Group", nameOf("groups", target.groupId));
  const problems: string[] = [];
  if (agent === undefined) problems.push("no agent is connected to the caller");
  if (loaded.state.transfer)
    problems.push(`transfer ${loaded.state.transfer.transferId} is already in progress`);
  if (problems.length > 0)
    throw new PreconditionError(
      problems.map((description) => ({ type: "CALL_STATE", subject: `calls/${callId}`, description })),
    );
  const after = await sendAndWait(
    ctx,
    loaded,
    { type: "RequestTransfer", transferId, mode, target, ...(callerId ? { callerId } : {}) },
    (c) => transferOf(c, transferId) !== undefined,
    signal,
  );
  const transfer = transferOf(after, transferId);
  if (!transfer)
    throw new PreconditionError([
      {
        type: "CALL_STATE",
        subject: `calls/${callId}`,
        description: "the router did not take the transfer (yet)",
      },
    ]);
  return transfer;
}

export async function endTransfer(
  ctx: ApiContext,
  caller: Caller,
  request: { name: string },
  action: "CompleteTransfer" | "CancelTransfer",
  signal: AbortSignal,
): Promise<Transfer> {
  const { callId, transferId } = transferNameParts(request.name, "name");
  const loaded = await loadCall(ctx, callId);
  const agent = currentAgent(loaded.state);
  authorize(caller, "callControl", agent === undefined ? [] : [agent]);
  const transfer = transferOf(loaded, transferId);
  if (!transfer) throw new ResourceNotFoundError(TRANSFER, request.name);
  const live = loaded.state.transfer?.transferId === transferId ? loaded.state.transfer : undefined;
  if (!live)
    throw new PreconditionError([
      { type: "TRANSFER_STATE", subject: request.name, description: "the transfer is over" },
    ]);
  if (action === "CompleteTransfer" && live.phase !== "consulting")
    throw new PreconditionError([
      {
        type: "TRANSFER_STATE",
        subject: request.name,
        description: `the transfer is ${live.phase}, not consulting`,
      },
    ]);
  const after = await sendAndWait(
    ctx,
    loaded,
    { type: action, transferId },
    (c) => c.state.transfer?.transferId !== transferId,
    signal,
  );
  return transferOf(after, transferId) ?? transfer;
}

/** Resume tokens: the log checkpoint after an event. */
export const resumeToken = (c: Checkpoint): string =>
  Buffer.from(`${c.transactionId}.${c.position}`).toString("base64url");

export function parseResumeToken(token: string): Checkpoint {
  const m = /^(\d{1,20})\.(\d{1,20})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m)
    throw new InvalidRequestError([
      { field: "resume_token", description: "not a token this API issued", reason: "INVALID_RESUME_TOKEN" },
    ]);
  return { transactionId: BigInt(m[1]!), position: BigInt(m[2]!) };
}

export const WATCH_CATEGORIES = ["call", "agent", "queue", "config", "group"] as const;

export function watchFilter(request: { categories: string[]; call: string }): (e: RecordedEvent) => boolean {
  const bad = request.categories.filter((c) => !(WATCH_CATEGORIES as readonly string[]).includes(c));
  if (bad.length > 0)
    throw new InvalidRequestError(
      bad.map((c) => ({
        field: "categories",
        description: `"${c.slice(0, 40)}" is not one of ${WATCH_CATEGORIES.join(", ")}`,
        reason: "INVALID_CATEGORY",
      })),
    );
  const categories = new Set(request.categories.length > 0 ? request.categories : ["call", "agent", "queue"]);
  const callStream = request.call === "" ? undefined : callStreamId(callIdFrom(request.call, "call"));
  return (e) => {
    if (callStream !== undefined) return e.streamId === callStream;
    const dash = e.streamId.indexOf("-");
    return categories.has(dash < 0 ? e.streamId : e.streamId.slice(0, dash));
  };
}
