// AgentService: agent definitions are config commands (DefineAgent / RemoveAgent) decided by the domain's
// config decider; sign-in, breaks and wrap-up are AgentInputs published to agent-presence, which owns the
// agent streams. Live status is read from the agent's own stream (the record, not a lagging view).
import { Agent, Agent_Status } from "@switchyard/admin-proto";
import { type AgentInput, type AgentInputMessage, agentInputSubject } from "@switchyard/contracts";
import {
  type AgentConfig,
  type AgentEvent,
  type AgentState,
  type AgentStatus,
  agentStreamId,
  type ConfigSnapshot,
  type Contact,
  decideAgent,
  evolveAgent,
  groupsOf,
  INITIAL_AGENT,
  isE164,
  isSipUri,
} from "@switchyard/routing-domain";
import { type ConfigView, checkEtag, etagOf, removeResource, resourceKey } from "./config-store.js";
import type { ApiContext, Caller } from "./context.js";
import {
  type FieldViolation,
  InvalidRequestError,
  PreconditionError,
  ResourceExistsError,
  ResourceNotFoundError,
} from "./errors.js";
import { type Page, paginate, parseFilter } from "./listing.js";
import { createViolations, idFrom, nameOf, parseName, requireResource, textViolation } from "./names.js";

const TYPE = "switchyard.admin.v1.Agent";
const MAX_TEXT = 200;

const STATUS: Record<AgentStatus, Agent_Status> = {
  signedOut: Agent_Status.STATUS_SIGNED_OUT,
  available: Agent_Status.STATUS_AVAILABLE,
  onBreak: Agent_Status.STATUS_ON_BREAK,
  offline: Agent_Status.STATUS_OFFLINE,
  reserved: Agent_Status.STATUS_RESERVED,
  ringing: Agent_Status.STATUS_RINGING,
  onCall: Agent_Status.STATUS_ON_CALL,
  wrapUp: Agent_Status.STATUS_WRAP_UP,
};

export interface AgentLive {
  readonly state: AgentState;
  readonly version: number;
}

export async function readAgentState(ctx: ApiContext, agentId: string): Promise<AgentLive> {
  const events = await ctx.store.readStream(agentStreamId(agentId));
  let state = INITIAL_AGENT;
  for (const e of events) state = evolveAgent(state, { type: e.type, data: e.data } as AgentEvent);
  return { state, version: events.at(-1)?.streamVersion ?? 0 };
}

/** The fields of an agent's definition on the wire: its answers add the live status and etag. */
const definition = (agent: AgentConfig) => ({
  name: nameOf("agents", agent.agentId),
  displayName: agent.name,
  ...(agent.contact.kind === "phone" ? { phoneNumber: agent.contact.number } : { sipUri: agent.contact.uri }),
  wrapUpSeconds: agent.wrapUpSec,
});

export function toAgent(view: ConfigView, agent: AgentConfig, live: AgentLive): Agent {
  const s = live.state;
  return Agent.fromPartial({
    ...definition(agent),
    groups: groupsOf(view.snapshot, agent.agentId).map((g) => nameOf("groups", g)),
    status: STATUS[s.status],
    currentCall: s.callId === undefined ? "" : `calls/${s.callId}`,
    ...(s.idleSince === undefined || s.status !== "available" ? {} : { idleSince: new Date(s.idleSince) }),
    callsHandled: s.calls.count,
    breakReason: s.breakReason ?? "",
    etag: etagOf(view, resourceKey("agent", agent.agentId)),
  });
}

/** An agent's definition as a message (no live status, no etag): what `switchyard apply` sends. */
export const agentDefinitionPb = (agent: AgentConfig): Agent => Agent.fromPartial(definition(agent));

/** The agent's definition fields, each checked; violations name the request field path. */
function agentFields(agent: Agent, prefix: string, violations: FieldViolation[]) {
  const badName = textViolation(agent.displayName, `${prefix}.display_name`, { max: MAX_TEXT });
  if (badName) violations.push(badName);
  let contact: Contact | undefined;
  if (agent.phoneNumber !== undefined) {
    if (isE164(agent.phoneNumber)) contact = { kind: "phone", number: agent.phoneNumber };
    else
      violations.push({
        field: `${prefix}.phone_number`,
        description: `"${agent.phoneNumber.slice(0, 40)}" is not an E.164 number (+ and country code, up to 15 digits)`,
        reason: "INVALID_E164",
      });
  } else if (agent.sipUri !== undefined) {
    if (isSipUri(agent.sipUri)) contact = { kind: "sip", uri: agent.sipUri };
    else
      violations.push({
        field: `${prefix}.sip_uri`,
        description: `"${agent.sipUri.slice(0, 80)}" is not a SIP URI (sip:user@host)`,
        reason: "INVALID_SIP_URI",
      });
  } else
    violations.push({
      field: `${prefix}.contact`,
      description: "one of phone_number or sip_uri is required",
      reason: "REQUIRED",
    });
  if (!(agent.wrapUpSeconds >= 0 && agent.wrapUpSeconds <= 86_400))
    violations.push({
      field: `${prefix}.wrap_up_seconds`,
      description: "must be between 0 and 86400",
      reason: "OUT_OF_RANGE",
    });
  return { name: agent.displayName, contact, wrapUpSec: agent.wrapUpSeconds };
}

const UPDATABLE = ["display_name", "phone_number", "sip_uri", "wrap_up_seconds"] as const;

function maskPaths(paths: readonly string[], agent: Agent): Set<string> {
  if (paths.length === 0) {
    // AIP-134: no mask updates the populated fields.
    const populated = new Set<string>();
    if (agent.displayName !== "") populated.add("display_name");
    if (agent.phoneNumber !== undefined) populated.add("phone_number");
    if (agent.sipUri !== undefined) populated.add("sip_uri");
    if (agent.wrapUpSeconds !== 0) populated.add("wrap_up_seconds");
    return populated;
  }
  if (paths.includes("*")) return new Set(UPDATABLE);
  const unknown = paths.filter((p) => !(UPDATABLE as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new InvalidRequestError(
      unknown.map((p) => ({
        field: "update_mask",
        description: `"${p.slice(0, 60)}" cannot be updated (updatable: ${UPDATABLE.join(", ")})`,
        reason: "INVALID_FIELD_MASK",
      })),
    );
  return new Set(paths);
}

function configured(snapshot: ConfigSnapshot, agentId: string): AgentConfig {
  const agent = snapshot.agents[agentId];
  if (!agent) throw new ResourceNotFoundError(TYPE, nameOf("agents", agentId));
  return agent;
}

export async function getAgent(ctx: ApiContext, name: string): Promise<Agent> {
  const id = idFrom("agents", name);
  const view = await ctx.config.current();
  return toAgent(view, configured(view.snapshot, id), await readAgentState(ctx, id));
}

export async function createAgent(
  ctx: ApiContext,
  caller: Caller,
  request: { agentId: string; agent?: Agent },
): Promise<Agent> {
  const violations = createViolations(request.agentId, "agent_id", request.agent, "agent");
  const fields = request.agent ? agentFields(request.agent, "agent", violations) : undefined;
  if (violations.length > 0 || !fields?.contact) throw new InvalidRequestError(violations);
  const contact = fields.contact;
  const { view } = await ctx.config.execute((v) => {
    if (v.snapshot.agents[request.agentId])
      throw new ResourceExistsError(TYPE, nameOf("agents", request.agentId));
    return [
      {
        type: "DefineAgent",
        agentId: request.agentId,
        name: fields.name,
        contact,
        wrapUpSec: fields.wrapUpSec,
      },
    ];
  }, caller.actor);
  return toAgent(
    view,
    configured(view.snapshot, request.agentId),
    await readAgentState(ctx, request.agentId),
  );
}

export async function updateAgent(
  ctx: ApiContext,
  caller: Caller,
  request: { agent?: Agent; updateMask?: string[] },
): Promise<Agent> {
  const patch = requireResource(request.agent, "agent");
  const id = idFrom("agents", patch.name, "agent.name");
  const paths = maskPaths(request.updateMask ?? [], patch);
  const { view } = await ctx.config.execute((v) => {
    const current = configured(v.snapshot, id);
    checkEtag(v, resourceKey("agent", id), patch.name, patch.etag);
    const merged = Agent.fromPartial({
      displayName: paths.has("display_name") ? patch.displayName : current.name,
      wrapUpSeconds: paths.has("wrap_up_seconds") ? patch.wrapUpSeconds : current.wrapUpSec,
      ...(paths.has("phone_number") && patch.phoneNumber !== undefined
        ? { phoneNumber: patch.phoneNumber }
        : paths.has("sip_uri") && patch.sipUri !== undefined
          ? { sipUri: patch.sipUri }
          : current.contact.kind === "phone"
            ? { phoneNumber: current.contact.number }
            : { sipUri: current.contact.uri }),
    });
    const violations: FieldViolation[] = [];
    const fields = agentFields(merged, "agent", violations);
    if (violations.length > 0 || !fields.contact) throw new InvalidRequestError(violations);
    return [
      {
        type: "DefineAgent",
        agentId: id,
        name: fields.name,
        contact: fields.contact,
        wrapUpSec: fields.wrapUpSec,
      },
    ];
  }, caller.actor);
  return toAgent(view, configured(view.snapshot, id), await readAgentState(ctx, id));
}

export async function deleteAgent(
  ctx: ApiContext,
  caller: Caller,
  request: { name: string; etag: string },
): Promise<void> {
  const id = idFrom("agents", request.name);
  await removeResource(ctx.config, caller.actor, request, ["agent", id], (v) => configured(v.snapshot, id));
}

const FILTER_STATUS = new Map<string, AgentStatus>(
  Object.entries(STATUS).map(([k, v]) => [Agent_Status[v], k as AgentStatus]),
);

export async function listAgents(
  ctx: ApiContext,
  request: { pageSize: number; pageToken: string; filter: string },
): Promise<Page<Agent>> {
  const terms = parseFilter(request.filter, ["group", "status"]);
  const view = await ctx.config.current();
  let agents = Object.values(view.snapshot.agents);
  let wantStatus: AgentStatus | undefined;
  for (const term of terms) {
    if (term.field === "group") {
      const parsed = parseName("groups", term.value, "filter");
      if ("violation" in parsed) throw new InvalidRequestError([parsed.violation]);
      const members = view.snapshot.groups[parsed.id]?.members ?? [];
      agents = agents.filter((a) => members.includes(a.agentId));
    } else {
      wantStatus = FILTER_STATUS.get(term.value);
      if (wantStatus === undefined)
        throw new InvalidRequestError([
          {
            field: "filter",
            description: `unknown status "${term.value.slice(0, 40)}" (one of ${[...FILTER_STATUS.keys()].join(", ")})`,
            reason: "INVALID_FILTER",
          },
        ]);
    }
  }
  const lives = new Map<string, AgentLive>();
  if (wantStatus !== undefined) {
    for (const a of agents) lives.set(a.agentId, await readAgentState(ctx, a.agentId));
    agents = agents.filter((a) => lives.get(a.agentId)?.state.status === wantStatus);
  }
  const page = paginate(agents, (a) => a.agentId, request);
  const items: Agent[] = [];
  for (const a of page.items)
    items.push(toAgent(view, a, lives.get(a.agentId) ?? (await readAgentState(ctx, a.agentId))));
  return { items, nextPageToken: page.nextPageToken };
}

/** How often, and how many times, a status change looks for agent-presence's record of it. */
const PRESENCE_POLL_MS = 25;
const PRESENCE_POLLS = 400;

/**
 * Checks the input against the agent's recorded state with the domain's agent decider (so an impossible
 * change is FAILED_PRECONDITION before anything is sent), publishes it to agent-presence, and waits (up to
 * the call's deadline) until the agent stream records it.
 */
export async function agentInput(
  ctx: ApiContext,
  name: string,
  toInput: (state: AgentState) => AgentInput,
  /** Aborted when the call is cancelled or its deadline passes. */
  signal: AbortSignal,
): Promise<Agent> {
  const id = idFrom("agents", name);
  const view = await ctx.config.current();
  const agent = configured(view.snapshot, id);
  const before = await readAgentState(ctx, id);
  const input = toInput(before.state);
  const now = ctx.clock.now();
  const command =
    input.type === "GoOffline"
      ? ({ type: "MarkOffline", now } as const)
      : input.type === "EndWrapUp"
        ? ({ type: "EndWrapUp", callId: input.callId, now } as const)
        : { ...input, now };
  const expected = decideAgent(command, before.state); // throws InvalidAgentTransitionError
  if (expected.length === 0) return toAgent(view, agent, before);
  const message: AgentInputMessage = { messageId: ctx.newId(), agentId: id, input, at: now };
  await ctx.bus.publish(agentInputSubject(id), message, { msgId: message.messageId });
  // Answers with the recorded state once agent-presence has applied the input (or with the state before,
  // when presence is slower than the poll budget: the input is on its way regardless).
  let live = before;
  for (let i = 0; i < PRESENCE_POLLS && live.version === before.version && !signal.aborted; i++) {
    await new Promise((r) => setTimeout(r, PRESENCE_POLL_MS));
    live = await readAgentState(ctx, id);
  }
  return toAgent(view, agent, live);
}

/** Ending wrap-up names the call being wrapped up; an agent not in wrap-up has none to end. */
export function endWrapUpInput(state: AgentState): AgentInput {
  if (state.status !== "wrapUp" || state.callId === undefined)
    throw new PreconditionError([
      { type: "AGENT_STATUS", subject: "agent", description: `the agent is ${state.status}, not in wrap-up` },
    ]);
  return { type: "EndWrapUp", callId: state.callId };
}
