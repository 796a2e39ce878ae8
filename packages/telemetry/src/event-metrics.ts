// Contact-centre metrics computed from the event log: calls by outcome per group, queue lengths and the
// longest wait, agents by state. Fed with every stored event once (the relay's leader feeds it as it
// publishes), so counters count each event exactly once across all replicas. The gauges are a projection of
// the whole log: a new leader replays the log up to its starting checkpoint (`beginRebuild`, `replay`,
// `endRebuild`) without counting, while the events it publishes meanwhile wait with the time they were
// relayed; a standby reports no gauges (its state would go stale while another instance leads).

import type { Attributes } from "@opentelemetry/api";
import { count, observeGauge, record } from "./metrics.js";
import { METRIC_ATTRS, type MetricKey } from "./names.js";

/** The part of a stored event the projection reads. */
export interface ObservedEvent {
  readonly streamId: string;
  readonly type: string;
  readonly data: unknown;
}

type Data = Record<string, unknown>;

const AGENT_STATE: Readonly<Record<string, string>> = {
  AgentSignedIn: "available",
  AgentSignedOut: "signedOut",
  AgentBreakStarted: "onBreak",
  AgentBreakEnded: "available",
  AgentWentOffline: "offline",
  AgentReserved: "reserved",
  AgentRinging: "ringing",
  AgentAnswered: "onCall",
  AgentReleased: "available",
  AgentCallEnded: "wrapUp",
  AgentWrapUpEnded: "available",
};

/** Every agent state the gauge reports. */
const STATES = [...new Set(Object.values(AGENT_STATE))];

export interface EventMetricsState {
  /** callId → the group of its last routing decision. */
  readonly callGroup: Map<string, string>;
  /** callId → when it started (platform ms). */
  readonly callStart: Map<string, number>;
  /** queue → callId → enqueued at (ms). */
  readonly waiting: Map<string, Map<string, number>>;
  /** agentId → state. */
  readonly agents: Map<string, string>;
}

/**
 * The projection and its gauges. `observe` takes events in log order; `now` is the platform clock (for the
 * longest current wait).
 */
export class EventMetrics implements Disposable {
  readonly state: EventMetricsState = {
    callGroup: new Map(),
    callStart: new Map(),
    waiting: new Map(),
    agents: new Map(),
  };
  readonly #gauges: Array<{ stop(): void }>;
  /** False while standing by or rebuilding: the gauges report no value (zeros) rather than a partial state. */
  #reporting = true;
  /** Live events relayed during a rebuild, each batch with the time it was relayed, applied after it. */
  #pending: Array<{ readonly events: readonly ObservedEvent[]; readonly at: number }> | undefined;

  constructor(private readonly now: () => number) {
    this.#gauges = [
      this.#gauge("queueLength", () =>
        [...this.state.waiting].map(
          ([queue, calls]) => [{ [METRIC_ATTRS.queue]: queue }, calls.size] as const,
        ),
      ),
      this.#gauge("queueLongestWait", () =>
        [...this.state.waiting].map(([queue, calls]) => {
          const oldest = Math.min(...calls.values());
          return [
            { [METRIC_ATTRS.queue]: queue },
            calls.size === 0 ? 0 : Math.max(0, (this.now() - oldest) / 1000),
          ] as const;
        }),
      ),
      this.#gauge("agentsByState", () => {
        // Every state, 0 when no agent is in it (a state left out would keep its last count: see #gauge).
        const by = new Map<string, number>(STATES.map((s) => [s, 0]));
        for (const s of this.state.agents.values()) by.set(s, (by.get(s) ?? 0) + 1);
        return [...by].map(([state, n]) => [{ [METRIC_ATTRS.state]: state }, n] as const);
      }),
    ];
  }

  /**
   * A gauge of the projection. The SDK keeps reporting an attribute set's last value (cumulative
   * temporality) once a callback stops observing it, so every set this gauge ever reported is observed
   * again, as 0 when it is no longer in the projection or while this instance is not reporting: a former
   * leader then reports zeros, and the dashboards' sums over relay pods count the leader's values once.
   */
  #gauge(key: MetricKey, points: () => Iterable<readonly [Attributes, number]>): { stop(): void } {
    const reported = new Map<string, Attributes>();
    return observeGauge(key, () => {
      const out = new Map<string, readonly [Attributes, number]>();
      for (const [id, attributes] of reported) out.set(id, [attributes, 0]);
      if (this.#reporting)
        for (const [attributes, value] of points()) {
          const id = JSON.stringify(attributes);
          reported.set(id, attributes);
          out.set(id, [attributes, value]);
        }
      return out.values();
    });
  }

  /** Whether the gauges report (false while standing by or rebuilding). */
  get reporting(): boolean {
    return this.#reporting;
  }

  /** Events just relayed, in log order: counted, and applied to the gauges' state (after a rebuild in progress). */
  observe(events: readonly ObservedEvent[]): void {
    if (this.#pending) this.#pending.push({ events, at: this.now() });
    else for (const e of events) this.#one(e, this.now());
  }

  /** Forgets the state and stops reporting until `endRebuild`; `observe` keeps what is relayed meanwhile. */
  beginRebuild(): void {
    this.#clear();
    this.#reporting = false;
    this.#pending = [];
  }

  /**
   * Events already relayed (by this or an earlier leader), in log order: applied to the state only, never
   * counted again. Times come from the events (enqueue and start times), so a replay gives the same state.
   */
  replay(events: readonly ObservedEvent[]): void {
    for (const e of events) this.#one(e, undefined);
  }

  /** The log is replayed up to where live events begin: applies those (counted, at their times) and reports. */
  endRebuild(): void {
    const pending = this.#pending ?? [];
    this.#pending = undefined;
    for (const { events, at } of pending) for (const e of events) this.#one(e, at);
    this.#reporting = true;
  }

  /** Leadership ended: forget the state and report nothing (another instance now feeds its own). */
  standBy(): void {
    this.#clear();
    this.#pending = undefined;
    this.#reporting = false;
  }

  #clear(): void {
    this.state.callGroup.clear();
    this.state.callStart.clear();
    this.state.waiting.clear();
    this.state.agents.clear();
  }

  /** `at`: when the event was relayed (platform ms); undefined on a replay, which counts nothing. */
  #one(e: ObservedEvent, at: number | undefined): void {
    const dash = e.streamId.indexOf("-");
    const category = dash < 0 ? e.streamId : e.streamId.slice(0, dash);
    const id = dash < 0 ? "" : e.streamId.slice(dash + 1);
    const d = (e.data ?? {}) as Data;
    if (category === "agent") {
      // A call ended without wrap-up leaves the agent available at once.
      const state =
        e.type === "AgentCallEnded" && typeof d.wrapUpEndsAt !== "number" ? "available" : AGENT_STATE[e.type];
      if (state) this.state.agents.set(id, state);
      return;
    }
    if (category !== "call") return;
    switch (e.type) {
      case "CallStarted": {
        if (at !== undefined) count("callsStarted");
        const started = typeof d.at === "number" ? d.at : at;
        if (started !== undefined) this.state.callStart.set(id, started);
        return;
      }
      case "RoutingDecided":
        if (typeof d.groupId === "string") this.state.callGroup.set(id, d.groupId);
        return;
      case "ConnectCompleted": {
        if (at === undefined) return;
        const group = this.state.callGroup.get(id) ?? "none";
        count("callOutcomes", 1, { [METRIC_ATTRS.outcome]: String(d.outcome), [METRIC_ATTRS.group]: group });
        const started = this.state.callStart.get(id);
        if (d.outcome === "answered" && started !== undefined)
          record("answerTime", Math.max(0, (at - started) / 1000), { [METRIC_ATTRS.group]: group });
        return;
      }
      case "CallerEnqueued": {
        const queue = String(d.groupId);
        let calls = this.state.waiting.get(queue);
        if (!calls) {
          calls = new Map();
          this.state.waiting.set(queue, calls);
        }
        const since = typeof d.enqueuedAt === "number" ? d.enqueuedAt : at;
        if (since !== undefined) calls.set(id, since);
        return;
      }
      case "CallerDequeued": {
        const queue = String(d.groupId);
        const calls = this.state.waiting.get(queue);
        const since = calls?.get(id);
        calls?.delete(id);
        if (at !== undefined && since !== undefined)
          record("queueWait", Math.max(0, (at - since) / 1000), {
            [METRIC_ATTRS.queue]: queue,
            [METRIC_ATTRS.reason]: String(d.reason),
          });
        return;
      }
      case "CallEnded":
        if (at !== undefined) count("callsEnded", 1, { [METRIC_ATTRS.reason]: String(d.reason) });
        this.state.callGroup.delete(id);
        this.state.callStart.delete(id);
        for (const calls of this.state.waiting.values()) calls.delete(id);
        return;
      default:
        return;
    }
  }

  [Symbol.dispose](): void {
    for (const g of this.#gauges) g.stop();
  }
}
