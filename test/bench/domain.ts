// Pure domain costs, no IO: one routing decision (StartCall into a Connect to a group) against groups of
// 10 to 100,000 available agents, decided as the router decides it (a group of INDEXED_GROUP_SIZE members or
// more from the ordered member index its presence view keeps, a smaller one by a scan of its members), and
// one queue with 10,000 waiting callers (enqueue, dequeue). What announcements cost is measured with a
// router (routing.ts, `measureAnnouncements`).

import { GroupMemberIndex, INDEXED_GROUP_SIZE } from "@switchyard/router";
import {
  type CallCommand,
  type ConfigCommand,
  type ConfigSnapshot,
  type DecisionContext,
  decideCall,
  decideConfig,
  decideQueue,
  EMPTY_CONFIG,
  evolveConfig,
  evolveQueue,
  INITIAL_AGENT,
  INITIAL_CALL,
  nextCallerFor,
  type PresenceEntry,
  positionOf,
  type QueueState,
  type Strategy,
} from "@switchyard/routing-domain";
import { latencies, now, round } from "./measure.js";

const AT = Date.UTC(2026, 0, 5, 9);

function apply(state: ConfigSnapshot, commands: readonly ConfigCommand[]): ConfigSnapshot {
  let s = state;
  for (const c of commands) for (const e of decideConfig(c, s)) s = evolveConfig(s, e);
  return s;
}

/**
 * A config with `n` agents in one group. Agents are put into the snapshot in one step: folding n
 * AgentDefined events copies the agent map each time (O(n²): minutes at 100,000), which is a cost of
 * config loading, not of a decision.
 */
function configWith(n: number, strategy: Strategy): ConfigSnapshot {
  const ids = Array.from({ length: n }, (_, i) => `a${i}`);
  const sample = apply(EMPTY_CONFIG, [
    { type: "DefineAgent", agentId: "a0", name: "a0", contact: { kind: "phone", number: "+14155550000" } },
  ]).agents.a0!;
  const withAgents: ConfigSnapshot = {
    ...EMPTY_CONFIG,
    agents: Object.fromEntries(
      ids.map((agentId, i) => [
        agentId,
        {
          ...sample,
          agentId,
          name: agentId,
          contact: { kind: "phone", number: `+1415${String(i).padStart(7, "0")}` },
        },
      ]),
    ),
  };
  return apply(withAgents, [
    { type: "DefineGroup", groupId: "g", name: "g", strategy, members: ids, ringTimeoutSec: 30 },
    {
      type: "DefineFlow",
      flow: {
        flowId: "f",
        name: "f",
        start: "c",
        applets: {
          c: { kind: "connect", target: { kind: "group", groupId: "g" }, branches: { fallback: "bye" } },
          bye: { kind: "hangup" },
        },
      },
    },
    { type: "DefineNumber", number: "+14155559999", flowId: "f" },
  ]);
}

/** A call to the group's number, as every measured decision starts. */
const startCall = (callId: string): CallCommand => ({
  type: "StartCall",
  callId,
  from: "+14155550111",
  to: "+14155559999",
  now: AT,
});

function presenceFor(n: number): Record<string, PresenceEntry> {
  const view: Record<string, PresenceEntry> = {};
  for (let i = 0; i < n; i++) {
    view[`a${i}`] = {
      state: { ...INITIAL_AGENT, status: "available", idleSince: AT - ((i * 7919) % n) * 1000 },
      version: 1,
    };
  }
  return view;
}

function indexOf(config: ConfigSnapshot, presence: Record<string, PresenceEntry>): GroupMemberIndex {
  const members = config.groups.g!.members;
  const index = new GroupMemberIndex(members);
  for (const a of members) index.update(a, presence[a]?.state);
  return index;
}

export interface GroupCost {
  readonly agents: number;
  readonly strategy: Strategy;
  /** How the router chooses in a group of this size: a scan of every member, or its ordered member index. */
  readonly path: "scan" | "indexed";
  /** One StartCall decision (flow → Connect → strategy → reservation), µs. */
  readonly decisionUs: { readonly p50: number | null; readonly p99: number | null };
  readonly samples: number;
  /** The largest event of the first decision, as JSON (the relay publishes each event as one message). */
  readonly largestEventBytes?: number;
  /**
   * The first decision over the index, not in `decisionUs`: it also keys Least Calls' order for the period
   * (once per group and period: the order counts calls in the period, and a new period counts from 0).
   */
  readonly firstDecisionUs?: number;
  /** Not measured: the extrapolated cost of one decision was above maxDecisionMs. */
  readonly skippedEstimateMs?: number;
}

export async function measureGroups(options: {
  sizes: readonly number[];
  strategies: readonly Strategy[];
  budgetMs: number;
  maxDecisionMs: number;
  log: (line: string) => void;
}): Promise<{ groups: GroupCost[]; memoryBytesPerAgent: number | null }> {
  const out: GroupCost[] = [];
  let memoryBytesPerAgent: number | null = null;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (const n of options.sizes) {
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const presence = presenceFor(n);
    for (const strategy of options.strategies) {
      const config = configWith(n, strategy);
      if (gc && n === Math.max(...options.sizes) && strategy === options.strategies[0]) {
        gc();
        memoryBytesPerAgent = round((process.memoryUsage().heapUsed - before) / n);
      }
      // The router's path: a large group's index is built once and kept current by the presence view (its
      // upkeep is a cost per presence change, not per decision); a small group is scanned.
      const path = n >= INDEXED_GROUP_SIZE ? "indexed" : "scan";
      const index = path === "indexed" ? indexOf(config, presence) : undefined;
      const ctx: DecisionContext = {
        config,
        presence,
        queues: {},
        groups: { g: { state: {}, version: 0 } } as DecisionContext["groups"],
        ...(index ? { memberIndex: (groupId: string) => (groupId === "g" ? index : undefined) } : {}),
      };
      // Skip what would take minutes: extrapolate quadratically from the previous size (large groups only,
      // so that one stall of a loaded machine on a small group cannot skip the rest).
      const previous = out.filter((g) => g.strategy === strategy).at(-1);
      const estimateMs = previous?.decisionUs.p50
        ? (previous.decisionUs.p50 / 1000) * (n / previous.agents) ** 2
        : 0;
      if (n >= 10_000 && estimateMs > options.maxDecisionMs) {
        out.push({
          agents: n,
          strategy,
          path,
          decisionUs: { p50: null, p99: null },
          samples: 0,
          skippedEstimateMs: round(estimateMs),
        });
        options.log(
          `  ${strategy} over ${n} agents: skipped (about ${round(estimateMs / 1000)} s per decision, extrapolated)`,
        );
        continue;
      }
      let firstDecisionUs: number | undefined;
      if (index) {
        const t = now();
        decideCall(startCall(`call-${n}-${strategy}-first`), INITIAL_CALL, ctx);
        firstDecisionUs = round((now() - t) * 1000);
      }
      const samples: number[] = [];
      let eventBytes = 0;
      const until = now() + options.budgetMs;
      for (let i = 0; i < 2_000; i++) {
        const command = startCall(`call-${n}-${strategy}-${i}`);
        const t = now();
        const decision = decideCall(command, INITIAL_CALL, ctx);
        const us = (now() - t) * 1000;
        // What the decision stores and the relay publishes (one event must fit in a JetStream message).
        if (i === 0) eventBytes = Math.max(...decision.call.events.map((e) => JSON.stringify(e).length));
        // The first two warm the JIT, except in large groups where one decision takes long anyway.
        if (i >= 2 || n >= 10_000) samples.push(us);
        if (now() > until && samples.length >= (n >= 10_000 ? 1 : 5)) break;
      }
      const l = latencies(samples);
      out.push({
        agents: n,
        strategy,
        path,
        decisionUs: { p50: l.p50, p99: l.p99 },
        samples: samples.length,
        ...(firstDecisionUs !== undefined ? { firstDecisionUs } : {}),
      });
      options.log(
        `  ${strategy} over ${n} agents (${path}): p50 ${l.p50} µs, p99 ${l.p99} µs (${samples.length} decisions), largest event ${eventBytes} B` +
          (firstDecisionUs !== undefined ? `; first decision ${firstDecisionUs} µs` : ""),
      );
    }
  }
  return { groups: out, memoryBytesPerAgent };
}

export interface QueueCost {
  readonly waiting: number;
  readonly enqueueUs: { readonly p50: number | null; readonly p99: number | null };
  readonly dequeueUs: { readonly p50: number | null; readonly p99: number | null };
  /** Every caller's position once (what one round of position announcements computes), ms. */
  readonly allPositionsMs: number;
}

export function measureQueue(options: {
  waiting: number;
  samples: number;
  log: (line: string) => void;
}): QueueCost {
  const n = options.waiting;
  const entries = Array.from({ length: n }, (_, i) => ({
    callId: `q${String(i).padStart(6, "0")}`,
    enqueuedAt: AT + i,
  }));
  const state: QueueState = { entries };
  const config = configWith(10, "longestIdle");
  const groups = {
    ...config.groups,
    g: { ...config.groups.g!, queue: { ...config.groups.g!.queue, enabled: true, maxSize: n * 2 } },
  };
  const enqueue: number[] = [];
  const dequeue: number[] = [];
  for (let i = 0; i < options.samples; i++) {
    let t = now();
    for (const e of decideQueue(
      { type: "Enqueue", callId: `new-${i}`, enqueuedAt: AT + n + i, maxSize: n * 2 },
      state,
    ))
      evolveQueue(state, e);
    enqueue.push((now() - t) * 1000);
    t = now();
    const next = nextCallerFor("a0", { g: { state, version: n } }, { groups });
    if (!next) throw new Error("the queue bench found nobody to dequeue");
    for (const e of decideQueue(
      { type: "Leave", callId: next.callId, reason: "agentOffered", at: AT },
      state,
    ))
      evolveQueue(state, e);
    dequeue.push((now() - t) * 1000);
  }
  const t = now();
  for (const e of entries) positionOf(state, e.callId);
  const allPositionsMs = round(now() - t, 1);
  const enq = latencies(enqueue);
  const deq = latencies(dequeue);
  const result: QueueCost = {
    waiting: n,
    enqueueUs: { p50: enq.p50, p99: enq.p99 },
    dequeueUs: { p50: deq.p50, p99: deq.p99 },
    allPositionsMs,
  };
  options.log(
    `  queue of ${n}: enqueue p50 ${enq.p50} µs p99 ${enq.p99} µs; dequeue p50 ${deq.p50} µs p99 ${deq.p99} µs; all positions ${allPositionsMs} ms`,
  );
  return result;
}
