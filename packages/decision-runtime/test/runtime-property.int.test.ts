// The runtime's guarantees under random batches and a concurrent writer, on the real PostgreSQL:
// every input's decision appended exactly once, per-call order kept, no agent reserved twice, and the
// stored result equal to deciding the inputs one by one in the order they were committed.
import { randomUUID } from "node:crypto";
import { scaledClock, seededRandom } from "@switchyard/clock";
import {
  dropSchema,
  type Folded,
  type OpenedEventStore,
  openEventStore,
  type RecordedEvent,
  WrongExpectedVersionError,
} from "@switchyard/event-store";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecisionRuntime, type Effect, StreamCache } from "../src/index.js";
import {
  type AgentState,
  agentProjection,
  agentStream,
  type CallState,
  callProjection,
  callStream,
  decidePure,
  decideWithView,
  evolveAgent,
  evolveCall,
  type Input,
} from "./reservations.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `runtime_prop_${randomUUID().replace(/-/g, "").slice(0, 10)}`;
let es: OpenedEventStore;

beforeAll(async () => {
  es = await openEventStore({ url: DATABASE_URL, schema, poolSize: 6 });
});

afterAll(async () => {
  await es?.close();
  await dropSchema(DATABASE_URL, schema);
});

const AGENTS = ["a0", "a1", "a2", "a3"];
const CALLS = ["c0", "c1", "c2", "c3", "c4"];

const inputArb = fc.record({
  callId: fc.constantFrom(...CALLS),
  op: fc.constantFrom("reserve" as const, "reserve" as const, "release" as const, "note" as const),
  candidates: fc.shuffledSubarray(AGENTS, { minLength: 1 }),
});

/** The external writer: touches agents (bumping versions under the runtime's cache) or takes free ones. */
async function externalWrite(run: string, agentId: string, take: boolean): Promise<void> {
  const streamId = agentStream(run, agentId);
  for (;;) {
    const events = await es.store.readStream(streamId);
    const state = events.reduce<AgentState>((s, e) => evolveAgent(s, e), { touches: 0 });
    const event =
      take && state.holder === undefined
        ? { type: "Reserved", data: { callId: "external" } }
        : state.holder === "external"
          ? { type: "Released", data: { callId: "external" } }
          : { type: "Touched", data: {} };
    try {
      await es.store.append([
        {
          streamId,
          expectedVersion: events.length,
          events: [
            { eventId: randomUUID(), type: event.type, data: event.data, metadata: { causationId: "w" } },
          ],
        },
      ]);
      return;
    } catch (err) {
      if (!(err instanceof WrongExpectedVersionError)) throw err;
    }
  }
}

/** Every event of the run's streams in commit order (all writers are done; readAll would wait on the
 * cluster-wide snapshot xmin, which other work on a shared server holds back). */
async function readRun(run: string): Promise<RecordedEvent[]> {
  const ids = [...CALLS.map((c) => callStream(run, c)), ...AGENTS.map((a) => agentStream(run, a))];
  const all = (await Promise.all(ids.map((id) => es.store.readStream(id)))).flat();
  return all.sort((a, b) =>
    a.transactionId === b.transactionId
      ? Number(a.position - b.position)
      : a.transactionId < b.transactionId
        ? -1
        : 1,
  );
}

describe("decision runtime (property, PostgreSQL)", () => {
  it("batches with overlapping calls and agents and a concurrent writer: exactly once, in order, serialisable", async () => {
    let runNo = 0;
    let conflicts = 0;
    let redecided = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(inputArb, { minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.record({ agent: fc.constantFrom(...AGENTS), take: fc.boolean() }), { maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.boolean(),
        fc.boolean(),
        async (batchSpecs, writes, seed, redeliver, overlap) => {
          const run = `r${++runNo}_${seed.toString(36)}`;
          const cache = new StreamCache(es.store, [callProjection, agentProjection]);
          const published: Effect[] = [];
          const random = seededRandom(seed);
          const runtime = new DecisionRuntime<Input>({
            store: es.store,
            cache,
            clock: scaledClock({ speed: 1 }),
            random,
            publish: async (e) => {
              published.push(e);
            },
            keyOf: (i) => i.callId,
            messageIdOf: (i) => i.messageId,
            decide: (i, view) => decideWithView(run, i, view),
            maxAttempts: 100,
            sleep: async () => {},
          });
          let n = 0;
          const batches: Input[][] = batchSpecs.map((b) =>
            b.map((spec) => ({ ...spec, messageId: `${run}:m${n++}` })),
          );
          // A redelivery: the first batch's inputs come again at the end (their decisions must not repeat).
          if (redeliver) batches.push(batches[0]!.slice(0, 5));
          const given = batches.flat();
          // The writer runs alongside the batches, spread over them.
          const writer = (async () => {
            for (const w of writes) {
              await externalWrite(run, w.agent, w.take);
              await new Promise((r) => setTimeout(r, Math.floor(random() * 3)));
            }
          })();
          // Batches one after the other, or all in flight at once (as a consumer with concurrency > 1).
          const results: Array<Awaited<ReturnType<typeof runtime.run>>> = [];
          if (overlap) results.push(...(await Promise.all(batches.map((b) => runtime.run(b)))));
          else for (const batch of batches) results.push(await runtime.run(batch));
          for (const outcomes of results) expect(outcomes.every((o) => o === undefined)).toBe(true);
          await writer;
          conflicts += runtime.stats().conflicts;
          redecided += runtime.stats().redecided;

          const log = await readRun(run);
          // 1. Exactly once: each distinct input has exactly one Handled event in its call stream.
          const unique = [...new Map(given.map((i) => [i.messageId, i])).values()];
          const handledBy = new Map<string, RecordedEvent[]>();
          for (const e of log) {
            if (e.type !== "Handled") continue;
            const id = (e.data as { messageId: string }).messageId;
            handledBy.set(id, [...(handledBy.get(id) ?? []), e]);
          }
          for (const i of unique) expect(handledBy.get(i.messageId)?.length, i.messageId).toBe(1);
          expect(handledBy.size).toBe(unique.length);
          // 2. Per-call order: a call's Handled events follow the order its inputs were given.
          for (const c of CALLS) {
            const stream = log.filter((e) => e.streamId === callStream(run, c) && e.type === "Handled");
            const expected = unique.filter((i) => i.callId === c).map((i) => i.messageId);
            expect(stream.map((e) => (e.data as { messageId: string }).messageId)).toEqual(expected);
          }
          // 3. No agent reserved twice: a Reserved only ever lands on a free agent.
          for (const a of AGENTS) {
            let state: AgentState = { touches: 0 };
            for (const e of log.filter((x) => x.streamId === agentStream(run, a))) {
              if (e.type === "Reserved") expect(state.holder, `${a} reserved twice`).toBeUndefined();
              state = evolveAgent(state, e);
            }
          }
          // 4. Serialisable: replaying the log in commit order, each input's stored events are what the
          //    pure decision gives on the state the earlier commits (ours and the writer's) left.
          const states = new Map<string, Folded<unknown>>();
          const read = (id: string): Folded<unknown> =>
            states.get(id) ?? { state: id.startsWith("call-") ? { seen: [] } : { touches: 0 }, version: 0 };
          const apply = (e: RecordedEvent) => {
            const s = read(e.streamId);
            const next = e.streamId.startsWith("call-")
              ? evolveCall(s.state as CallState, e)
              : evolveAgent(s.state as AgentState, e);
            expect(e.streamVersion).toBe(s.version + 1);
            states.set(e.streamId, { state: next, version: e.streamVersion });
          };
          // Within one transaction (one round's appendMany) the decisions were taken in input order; a
          // decision built on another's writes shares its append, so its events may sit among the other's.
          const byMessage = new Map(unique.map((i) => [i.messageId, i]));
          const order = new Map(unique.map((i, n) => [i.messageId, n]));
          const transactions = new Map<bigint, RecordedEvent[]>();
          for (const e of log)
            transactions.set(e.transactionId, [...(transactions.get(e.transactionId) ?? []), e]);
          const byStream = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
          for (const events of transactions.values()) {
            const causes = [...new Set(events.map((e) => e.metadata.causationId as string))].sort(
              (a, b) => (order.get(a) ?? -1) - (order.get(b) ?? -1),
            );
            for (const cause of causes) {
              const group = events.filter((e) => e.metadata.causationId === cause);
              if (cause !== "w") {
                const writes = decidePure(run, byMessage.get(cause)!, read);
                expect(writes).not.toBeNull();
                const expected = writes!.flatMap((w) => w.events.map((e) => [w.streamId, e.type, e.data]));
                expect(group.map((e) => [e.streamId, e.type, e.data]).sort(byStream)).toEqual(
                  expected.sort(byStream),
                );
              }
              for (const e of group) apply(e);
            }
          }
          // Every committed decision's effect was published.
          const publishedIds = new Set(published.map((p) => p.msgId));
          for (const e of log) {
            if (e.type === "Handled") expect(publishedIds.has(e.eventId)).toBe(true);
          }
        },
      ),
      { numRuns: 40 },
    );
    // The writer did get in the way (the property is not only checked on conflict-free runs).
    expect(conflicts).toBeGreaterThan(0);
    expect(redecided).toBeGreaterThan(0);
  });
});
