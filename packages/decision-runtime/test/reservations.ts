// A small reservation domain to exercise the runtime: calls take the first free agent of their candidates,
// release it, or just note an input. Every input writes one call event, so "appended exactly once" is
// checkable by causation id, and the decider is pure so a replay from the log can re-decide each input.
import type { Folded } from "@switchyard/event-store";
import type { Decision, DecisionView, StoredEvent } from "../src/index.js";
import { projection } from "../src/index.js";

export interface CallState {
  readonly holding?: string;
  /** Message ids already decided (a redelivery is recognised). */
  readonly seen: readonly string[];
}
export interface AgentState {
  readonly holder?: string;
  readonly touches: number;
}

export interface Input {
  readonly messageId: string;
  readonly callId: string;
  readonly op: "reserve" | "release" | "note";
  readonly candidates: readonly string[];
}

export type Handled = { readonly result: string; readonly agent?: string; readonly messageId: string };

export const callProjection = projection<CallState>("call", { seen: [] }, (s, e) => evolveCall(s, e));
export const agentProjection = projection<AgentState>("agent", { touches: 0 }, (s, e) => evolveAgent(s, e));

export function evolveCall(s: CallState, e: { type: string; data: unknown }): CallState {
  if (e.type !== "Handled") return s;
  const d = e.data as Handled;
  const holding =
    d.result === "reserved"
      ? d.agent
      : d.result === "released" || d.result === "lost"
        ? undefined
        : s.holding;
  return { ...(holding === undefined ? {} : { holding }), seen: [...s.seen, d.messageId] };
}

export function evolveAgent(s: AgentState, e: { type: string; data: unknown }): AgentState {
  switch (e.type) {
    case "Reserved":
      return { ...s, holder: (e.data as { callId: string }).callId };
    case "Released":
      return { touches: s.touches };
    case "Touched":
      return { ...s, touches: s.touches + 1 };
    default:
      return s;
  }
}

export const callStream = (run: string, callId: string) => `call-${run}_${callId}`;
export const agentStream = (run: string, agentId: string) => `agent-${run}_${agentId}`;

export interface WriteSpec {
  readonly streamId: string;
  readonly expectedVersion: number;
  readonly events: ReadonlyArray<{ type: string; data: unknown }>;
}

/**
 * The pure decision: what `input` writes given the streams as `read` returns them (null: a redelivery).
 * A call holding an agent that someone else took meanwhile (an external writer) lets it go ("lost").
 */
export function decidePure(
  run: string,
  input: Input,
  read: (streamId: string) => Folded<unknown>,
): WriteSpec[] | null {
  const callId = callStream(run, input.callId);
  const call = read(callId) as Folded<CallState>;
  if (call.state.seen.includes(input.messageId)) return null;
  const handled = (result: string, agent?: string): WriteSpec => ({
    streamId: callId,
    expectedVersion: call.version,
    events: [
      {
        type: "Handled",
        data: { result, messageId: input.messageId, ...(agent === undefined ? {} : { agent }) },
      },
    ],
  });
  if (input.op === "note") return [handled("noted")];
  if (input.op === "release") {
    const held = call.state.holding;
    if (held === undefined) return [handled("nothing")];
    const agent = read(agentStream(run, held)) as Folded<AgentState>;
    if (agent.state.holder !== `${run}_${input.callId}`) return [handled("lost", held)];
    return [
      handled("released", held),
      {
        streamId: agentStream(run, held),
        expectedVersion: agent.version,
        events: [{ type: "Released", data: { callId: `${run}_${input.callId}` } }],
      },
    ];
  }
  if (call.state.holding !== undefined) return [handled("already", call.state.holding)];
  for (const a of input.candidates) {
    const agent = read(agentStream(run, a)) as Folded<AgentState>;
    if (agent.state.holder !== undefined) continue;
    return [
      handled("reserved", a),
      {
        streamId: agentStream(run, a),
        expectedVersion: agent.version,
        events: [{ type: "Reserved", data: { callId: `${run}_${input.callId}` } }],
      },
    ];
  }
  return [handled("none")];
}

/** The wiring: load what the decision reads, then decide through the view. */
export async function decideWithView(run: string, input: Input, view: DecisionView): Promise<Decision> {
  await view.load(callStream(run, input.callId));
  const call = view.read<CallState>(callStream(run, input.callId));
  const agents = input.op === "release" ? (call.state.holding ? [call.state.holding] : []) : input.candidates;
  // Only the agents the pure decision will look at are read (and so asserted at commit).
  for (const a of agents) await view.load(agentStream(run, a));
  const writes = decidePure(run, input, (id) => view.read(id));
  if (writes === null) return { kind: "noop" };
  return {
    kind: "write",
    writes,
    effects: (committed) =>
      committed.events(callStream(run, input.callId)).map((e: StoredEvent) => ({
        subject: `done.${input.callId}`,
        payload: e.data,
        msgId: e.eventId,
      })),
  };
}
