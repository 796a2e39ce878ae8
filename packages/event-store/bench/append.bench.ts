// Append throughput on PostgreSQL. Run: pnpm exec tsx packages/event-store/bench/append.bench.ts
// (DATABASE_URL defaults to the local test database; a throw-away schema is created and dropped).
import { randomUUID } from "node:crypto";
import { dropSchema, type NewEvent, openEventStore, type StreamAppend } from "../src/index.js";

const url = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const schema = `es_bench_${randomUUID().replace(/-/g, "").slice(0, 12)}`;

const event = (type: string): NewEvent => ({
  eventId: randomUUID(),
  type,
  data: { callId: randomUUID(), agentId: "agent-1", at: "2026-11-24T09:00:00.000Z" },
  metadata: { correlationId: randomUUID() },
});

/** A routing decision: reserve an agent (expected version) and record it on a new call stream. */
function decision(agent: number, agentVersion: number): StreamAppend[] {
  return [
    { streamId: `call-${randomUUID()}`, expectedVersion: "no_stream", events: [event("CallRouted")] },
    { streamId: `agent-${agent}`, expectedVersion: agentVersion, events: [event("AgentReserved")] },
  ];
}

async function main(): Promise<void> {
  const opened = await openEventStore({ url, schema, poolSize: 8 });
  try {
    // 1) One transaction per append, one writer at a time.
    {
      let n = 0;
      let version = 0;
      const until = performance.now() + seconds * 1000;
      const start = performance.now();
      while (performance.now() < until) {
        await opened.store.append(decision(0, version));
        version += 1;
        n += 1;
      }
      const rate = n / ((performance.now() - start) / 1000);
      console.log(
        `single-transaction append (2 streams, 2 events): ${rate.toFixed(0)} appends/s (${n} in ${seconds}s)`,
      );
    }
    // 1b) One transaction per append, 8 writers on different agents (pool of 8).
    {
      let n = 0;
      const until = performance.now() + seconds * 1000;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let version = 0; performance.now() < until; version++) {
            await opened.store.append(decision(100 + w, version));
            n += 1;
          }
        }),
      );
      const rate = n / ((performance.now() - start) / 1000);
      console.log(`single-transaction append, 8 concurrent writers: ${rate.toFixed(0)} appends/s`);
    }
    // 2) Grouped commit: 200 decisions per appendMany, two committers in flight.
    {
      const agents = 1000;
      const versions = new Array<number>(agents).fill(0);
      let next = 1;
      let decisions = 0;
      let conflicts = 0;
      const until = performance.now() + seconds * 1000;
      const start = performance.now();
      const committer = async () => {
        while (performance.now() < until) {
          const batch: StreamAppend[][] = [];
          const picked: number[] = [];
          for (let i = 0; i < 200; i++) {
            const agent = next++ % agents;
            picked.push(agent);
            batch.push(decision(10_000 + agent, versions[agent]!));
            versions[agent]! += 1;
          }
          const results = await opened.store.appendMany(batch);
          results.forEach((r, i) => {
            if (r instanceof Error) {
              conflicts += 1;
              versions[picked[i]!]! -= 1;
            }
          });
          decisions += results.length;
        }
      };
      await Promise.all([committer(), committer()]);
      const rate = decisions / ((performance.now() - start) / 1000);
      console.log(
        `appendMany (200 decisions per commit, 2 committers): ${rate.toFixed(0)} decisions/s (${decisions} decisions, ${conflicts} conflicts)`,
      );
    }
  } finally {
    await opened.close();
    await dropSchema(url, schema);
  }
}

await main();
