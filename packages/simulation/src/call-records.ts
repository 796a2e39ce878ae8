import { agentIdOfStream } from "@switchyard/routing-domain";
import type { LoggedEvent } from "./statistics.js";

/**
 * What happened to one call, in a form two runs can be compared by: no ids that differ between runs (call,
 * leg and event ids are random), times in platform seconds from the run's start. Each event carries the time
 * of the latest timed event before it, and events of one instant are listed in a fixed (alphabetical) order:
 * within one instant of simulated time independent messages (a leg's end reported by the gateway, an offer
 * from the queue) may be decided in either order, which changes no outcome and no time.
 */
export interface CallRecord {
  readonly startSec: number;
  readonly from: string;
  readonly to: string;
  /** The call's events, `type@seconds` (with the outcome for ConnectCompleted, the reason for CallEnded). */
  readonly events: readonly string[];
  /** The agents' events about this call, `type:agentId@seconds`. */
  readonly agents: readonly string[];
}

type Data = Record<string, unknown>;

/**
 * Per-call records of the calls that started at or after `since`, ordered by start time (then caller),
 * built from the events in log order.
 */
export function callRecords(events: Iterable<LoggedEvent>, since: number): CallRecord[] {
  const calls = new Map<
    string,
    { startSec: number; from: string; to: string; events: Stamped[]; agents: Stamped[] }
  >();
  const sec = (d: Data) => (typeof d.at === "number" ? Math.round(d.at - since) / 1000 : undefined);
  // The latest time seen on each call (events without their own time happened then).
  const lastAt = new Map<string, number>();
  const stamp = (callId: string, label: string, d: Data) => {
    const s = sec(d) ?? lastAt.get(callId) ?? 0;
    lastAt.set(callId, s);
    return { s, text: `${label}@${s}` };
  };
  for (const e of events) {
    const d = (e.data ?? {}) as Data;
    if (e.streamId.startsWith("call-")) {
      const callId = e.streamId.slice(5);
      if (e.type === "CallStarted") {
        if (typeof d.at !== "number" || d.at < since) continue;
        calls.set(callId, {
          startSec: sec(d) ?? 0,
          from: String(d.from),
          to: String(d.to),
          events: [],
          agents: [],
        });
      }
      const call = calls.get(callId);
      if (!call) continue;
      const detail =
        e.type === "ConnectCompleted"
          ? `(${String(d.outcome)})`
          : e.type === "CallEnded"
            ? `(${String(d.reason)})`
            : e.type === "AppletEntered"
              ? `(${String(d.appletId)})`
              : "";
      call.events.push(stamp(callId, `${e.type}${detail}`, d));
    } else if (agentIdOfStream(e.streamId) !== undefined && typeof d.callId === "string") {
      const call = calls.get(d.callId);
      if (call) call.agents.push(stamp(d.callId, `${e.type}:${agentIdOfStream(e.streamId)}`, d));
    }
  }
  const canonical = (xs: Stamped[]) =>
    [...xs].sort((a, b) => a.s - b.s || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)).map((x) => x.text);
  return [...calls.values()]
    .map((c) => ({ ...c, events: canonical(c.events), agents: canonical(c.agents) }))
    .sort((a, b) => a.startSec - b.startSec || a.from.localeCompare(b.from));
}

interface Stamped {
  readonly s: number;
  readonly text: string;
}
