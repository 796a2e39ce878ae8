// Two routers racing for one agent, in every order fast-check's scheduler can find: each router is the
// router's own wiring (services/router's call decider, stream cache and presence view) on the real decision
// runtime, over the real PostgreSQL event store and the real NATS presence bucket. Both get a StartCall for
// the agent's number at once; every store read and append of either router waits for the scheduler to
// release it, so the reads, decisions and commits of the two interleave in the order the scheduler picks.
// Whatever the order: exactly one AgentReserved on the agent's stream, exactly one call offered to the agent,
// and the invariant checker finds no double booking and re-decides every decision to the same events.
import { randomBytes } from "node:crypto";
import { type Bus, connectBus } from "@switchyard/bus";
import { checkEventLog, readEventLog } from "@switchyard/chaos";
import { seededRandom, systemClock } from "@switchyard/clock";
import { appendContactCentre, parseContactCentre } from "@switchyard/contact-centre";
import {
  type CallInputMessage,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
} from "@switchyard/contracts";
import { DecisionRuntime, type Effect, StreamCache } from "@switchyard/decision-runtime";
import { dropSchema, type EventStore, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import {
  type AgentState,
  agentStreamId,
  decideAgent,
  evolveAgent,
  INITIAL_AGENT,
} from "@switchyard/routing-domain";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callDecider } from "../../services/router/src/call-decisions.js";
import { ConfigSource, projections } from "../../services/router/src/decision-context.js";
import { PresenceView } from "../../services/router/src/presence-view.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const suffix = randomBytes(4).toString("hex");
const SCHEMA = `faults_race_${suffix}`;
const PREFIX = `race${suffix}`;
const RUNS = 40;
const STRATEGIES = ["round-robin", "longest-idle", "least-calls", "simultaneous", "sequential"] as const;

let es: OpenedEventStore;
let bus: Bus;

/** One agent per run, alone in its group (each strategy in turn), on its own number; no queue. */
function centreYaml(): string {
  const lines = ["agents:"];
  for (let i = 0; i < RUNS; i++)
    lines.push(`  - { id: a${i}, name: a${i}, phone: "+1444${String(i).padStart(7, "0")}" }`);
  lines.push("groups:");
  for (let i = 0; i < RUNS; i++)
    lines.push(
      `  - { id: g${i}, name: g${i}, strategy: ${STRATEGIES[i % STRATEGIES.length]}, members: [a${i}], ringTimeoutSec: 15 }`,
    );
  lines.push("numbers:");
  for (let i = 0; i < RUNS; i++)
    lines.push(`  - { number: "+1333${String(i).padStart(7, "0")}", flow: f${i} }`);
  lines.push("flows:");
  for (let i = 0; i < RUNS; i++)
    lines.push(
      `  - id: f${i}\n    name: f${i}\n    start: c\n    applets:\n` +
        `      c: { type: connect, target: { group: g${i} }, branches: { fallback: bye } }\n` +
        "      bye: { type: hangup }",
    );
  return `${lines.join("\n")}\n`;
}

beforeAll(async () => {
  es = await openEventStore({ url: DATABASE_URL, schema: SCHEMA, poolSize: 6 });
  bus = await connectBus({ url: NATS_URL, prefix: PREFIX, name: "reservation-race" });
  await appendContactCentre(es.store, parseContactCentre(centreYaml(), "race.yaml"), { actor: "test" });
});

afterAll(async () => {
  await bus?.deleteStreams().catch(() => undefined);
  await bus?.close();
  await es?.close();
  await dropSchema(DATABASE_URL, SCHEMA);
});

/** Signs the agent in as agent-presence does: its stream, then its presence entry in the bucket. */
async function signIn(agentId: string): Promise<void> {
  const events = decideAgent({ type: "SignIn", now: Date.now() }, INITIAL_AGENT);
  await es.store.append([
    {
      streamId: agentStreamId(agentId),
      expectedVersion: "no_stream",
      events: events.map((e) => ({
        eventId: crypto.randomUUID(),
        type: e.type,
        data: e.data,
        metadata: { causationId: `signin-${agentId}` },
      })),
    },
  ]);
  const kv = await bus.keyValue<PresenceRecord>(presenceBucket(PREFIX));
  const after = events.reduce<AgentState>(evolveAgent, INITIAL_AGENT);
  await kv.put(presenceKey(agentId), {
    agentId,
    state: after,
    version: events.length,
    updatedAt: Date.now(),
  });
}

/** A router as services/router wires it, its store calls released one at a time by the scheduler. */
async function router(name: string, store: EventStore, published: Effect[]) {
  const cache = new StreamCache(store, projections);
  const config = new ConfigSource(cache);
  const log = () => undefined;
  const presence = await PresenceView.start(bus, cache, { log });
  const decider = callDecider({
    cache,
    config,
    presence,
    clock: systemClock,
    defaultGateway: "default",
    stats: { replays: 0, verifications: 0, noops: 0 },
    log,
  });
  const runtime = new DecisionRuntime<CallInputMessage>({
    store,
    cache,
    clock: systemClock,
    random: seededRandom(name),
    publish: async (e) => {
      published.push(e);
    },
    keyOf: (m) => m.callId,
    messageIdOf: (m) => m.messageId,
    decide: decider.decide,
    beforeRound: decider.beforeRound,
    metadata: { actor: "router", router: name },
    maxAttempts: 8,
  });
  return { runtime, presence };
}

/** The store with every call held until the scheduler releases it (the call itself then runs for real). */
function scheduled(s: fc.Scheduler, store: EventStore, who: string): EventStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        await s.schedule(
          Promise.resolve(),
          `${who} ${String(prop)} ${typeof args[0] === "string" ? args[0] : ""}`,
        );
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

describe("two routers deciding for the same agent (fast-check scheduler, real runtime and store)", () => {
  it("exactly one reservation wins, whatever the order of their reads and commits", async () => {
    let run = 0;
    const winners = { A: 0, B: 0 };
    let conflicts = 0;
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), async (s) => {
        const i = run++;
        const agentId = `a${i}`;
        await signIn(agentId);
        const publishedA: Effect[] = [];
        const publishedB: Effect[] = [];
        const a = await router("A", scheduled(s, es.store, "A"), publishedA);
        const b = await router("B", scheduled(s, es.store, "B"), publishedB);
        try {
          // Both views show the agent available (from the bucket) before either decides.
          for (const r of [a, b])
            while (r.presence.entry(agentId)?.state.status !== "available")
              await new Promise((x) => setTimeout(x, 5));
          const to = `+1333${String(i).padStart(7, "0")}`;
          const start = (callId: string): CallInputMessage => ({
            messageId: `start-${callId}`,
            callId,
            gatewayId: "default",
            input: { type: "StartCall", callId, from: "+15550000", to },
            at: Date.now(),
          });
          const callA = `race-${suffix}-${i}-A`;
          const callB = `race-${suffix}-${i}-B`;
          const both = Promise.all([a.runtime.run([start(callA)]), b.runtime.run([start(callB)])]);
          const [outA, outB] = await s.waitFor(both);
          expect([...outA, ...outB]).toEqual([undefined, undefined]);
          conflicts += a.runtime.stats().conflicts + b.runtime.stats().conflicts;

          const agent = await es.store.readStream(agentStreamId(agentId));
          const reserved = agent.filter((e) => e.type === "AgentReserved");
          expect(reserved, `${s.report().length} scheduled steps`).toHaveLength(1);
          const winner = String((reserved[0]?.data as { callId?: string } | undefined)?.callId);
          expect([callA, callB]).toContain(winner);
          winners[winner === callA ? "A" : "B"]++;
          // The winner's call rings the agent; the loser's offers it to nobody.
          for (const callId of [callA, callB]) {
            const offered = (await es.store.readStream(`call-${callId}`)).filter(
              (e) =>
                e.type === "LegOriginateRequested" && (e.data as { agentId?: string }).agentId === agentId,
            );
            expect(offered).toHaveLength(callId === winner ? 1 : 0);
          }
          // Only the winner sent the agent's phone a leg command.
          const originates = (p: Effect[]) =>
            p.filter((e) => JSON.stringify(e.payload).includes('"originate"')).length;
          expect(originates(winner === callA ? publishedA : publishedB)).toBe(1);
          expect(originates(winner === callA ? publishedB : publishedA)).toBe(0);
        } finally {
          await Promise.all([a.presence.stop(), b.presence.stop()]);
        }
      }),
      { numRuns: RUNS },
    );
    console.log(`winners: router A ${winners.A}, router B ${winners.B}; version conflicts ${conflicts}`);
    // The scheduler did put either router first, and the routers did collide (a conflict re-decided).
    expect(winners.A).toBeGreaterThan(0);
    expect(winners.B).toBeGreaterThan(0);
    expect(conflicts).toBeGreaterThan(0);
    // The whole log: no agent booked twice, and every decision re-decided from its reads gives the same events.
    const report = checkEventLog(await readEventLog(es));
    expect(report.counts["double-booking"]).toBe(0);
    expect(report.counts["disallowed-order"]).toBe(0);
    expect(report.counts["replay-mismatch"]).toBe(0);
    expect(report.decisions.replayed).toBe(2 * RUNS);
  });
});
