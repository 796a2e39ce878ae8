// Contact-centre metrics computed from the event log: calls by outcome per group, queue lengths and the
// longest wait, agents by state. Fed with every stored event once (the relay's leader feeds it as it
// publishes), so they count each event exactly once across all replicas; the gauges are the state this
// process has seen since it started leading (see the README: after a relay restart they rebuild from the
// events relayed since).

import { count, observeGauge, record } from "./metrics.js";
import { METRIC_ATTRS } from "./names.js";

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

  constructor(private readonly now: () => number) {
    this.#gauges = [
      observeGauge("queueLength", () =>
        [...this.state.waiting].map(
          ([queue, calls]) => [{ [METRIC_ATTRS.queue]: queue }, calls.size] as const,
        ),
      ),
      observeGauge("queueLongestWait", () =>
        [...this.state.waiting].map(([queue, calls]) => {
          const oldest = Math.min(...calls.values());
          return [
            { [METRIC_ATTRS.queue]: queue },
            calls.size === 0 ? 0 : Math.max(0, (this.now() - oldest) / 1000),
          ] as const;
        }),
      ),
      observeGauge("agentsByState", () => {
        const by = new Map<string, number>();
        for (const s of this.state.agents.values()) by.set(s, (by.get(s) ?? 0) + 1);
        return [...by].map(([state, n]) => [{ [METRIC_ATTRS.state]: state }, n] as const);
      }),
    ];
  }

  observe(events: readonly ObservedEvent[]): void {
    for (const e of events) this.#one(e);
  }

  #one(e: ObservedEvent): void {
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
      case "CallStarted":
        count("callsStarted");
        this.state.callStart.set(id, typeof d.at === "number" ? d.at : this.now());
        return;
      case "RoutingDecided":
        if (typeof d.groupId === "string") this.state.callGroup.set(id, d.groupId);
        return;
      case "ConnectCompleted": {
        const group = this.state.callGroup.get(id) ?? "none";
        count("callOutcomes", 1, { [METRIC_ATTRS.outcome]: String(d.outcome), [METRIC_ATTRS.group]: group });
        const started = this.state.callStart.get(id);
        if (d.outcome === "answered" && started !== undefined)
          record("answerTime", Math.max(0, (this.now() - started) / 1000), { [METRIC_ATTRS.group]: group });
        return;
      }
      case "CallerEnqueued": {
        const queue = String(d.groupId);
        let calls = this.state.waiting.get(queue);
        if (!calls) {
          calls = new Map();
          this.state.waiting.set(queue, calls);
        }
        calls.set(id, typeof d.enqueuedAt === "number" ? d.enqueuedAt : this.now());
        return;
      }
      case "CallerDequeued": {
        const queue = String(d.groupId);
        const calls = this.state.waiting.get(queue);
        const since = calls?.get(id);
        calls?.delete(id);
        if (since !== undefined)
          record("queueWait", Math.max(0, (this.now() - since) / 1000), {
            [METRIC_ATTRS.queue]: queue,
            [METRIC_ATTRS.reason]: String(d.reason),
          });
        return;
      }
      case "CallEnded":
        count("callsEnded", 1, { [METRIC_ATTRS.reason]: String(d.reason) });
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
