// An event store whose PostgreSQL is restarted (fast shutdown) while appends are in flight: the process
// survives (a checked-out pool client's connection error used to be an unhandled 'error' event that killed
// the relay in a chaos run), the appends in flight fail, and appends succeed again once the server is back.
import { randomUUID } from "node:crypto";
import { type PrivatePostgres, startPrivatePostgres } from "@switchyard/chaos";
import { type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { afterAll, beforeAll, expect, it } from "vitest";

let pg: PrivatePostgres;
let es: OpenedEventStore;

beforeAll(async () => {
  pg = await startPrivatePostgres();
  es = await openEventStore({ url: pg.url, schema: "restart", poolSize: 4 });
}, 120_000);

afterAll(async () => {
  await es?.close().catch(() => undefined);
  await pg?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("keeps appending across a PostgreSQL fast shutdown and restart", async () => {
  let ok = 0;
  let failed = 0;
  let stop = false;
  const writers = Array.from({ length: 4 }, async (_, w) => {
    for (let n = 0; !stop; n++) {
      try {
        await es.store.append([
          {
            streamId: `w${w}-${n % 20}`,
            expectedVersion: "any",
            events: [{ eventId: randomUUID(), type: "Tick", data: { n } }],
          },
        ]);
        ok++;
      } catch {
        failed++;
        await sleep(50);
      }
    }
  });
  await sleep(1_000);
  const before = ok;
  await pg.stop();
  await sleep(1_000);
  await pg.start();
  const back = ok;
  // Appends resume on new connections, without a restart of this process.
  for (let i = 0; i < 300 && ok < back + 50; i++) await sleep(100);
  stop = true;
  await Promise.all(writers);
  expect(before).toBeGreaterThan(0);
  expect(failed).toBeGreaterThan(0);
  expect(ok).toBeGreaterThanOrEqual(back + 50);
}, 120_000);
