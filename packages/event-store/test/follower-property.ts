import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { expect } from "vitest";
import type { Checkpoint, EventStoreHandle, RecordedEvent, StreamAppend } from "../src/index.js";
import { events } from "./support.js";

export async function head(opened: EventStoreHandle): Promise<Checkpoint> {
  let checkpoint: Checkpoint = { transactionId: 0n, position: 0n };
  for (;;) {
    const page = await opened.store.readAll(checkpoint, { limit: 1000 });
    if (page.events.length === 0) return checkpoint;
    checkpoint = page.checkpoint;
  }
}

/**
 * Random concurrent writers (random in-transaction delays, random rollbacks, single and grouped commits)
 * while a follower reads the log from checkpoint to checkpoint with readAll: it must see every committed
 * event exactly once, per stream in version order, a transaction that finished before another began
 * before that other, and nothing rolled back.
 */
export async function followerProperty(opened: EventStoreHandle, numRuns: number): Promise<void> {
  const writer = fc.record({
    stream: fc.integer({ min: 0, max: 3 }),
    count: fc.integer({ min: 1, max: 3 }),
    delayMs: fc.integer({ min: 0, max: 12 }),
    startDelayMs: fc.integer({ min: 0, max: 8 }),
    rollback: fc.boolean(),
    many: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.array(writer, { minLength: 4, maxLength: 20 }),
      fc.integer({ min: 1, max: 7 }),
      async (writers, pageSize) => {
        const run = randomUUID().slice(0, 8);
        const streamId = (n: number) => `p-${run}-${n}`;
        const start = await head(opened);
        let tick = 0;
        const committed = new Map<string, { begin: number; end: number; writer: number }>();
        const rolledBack = new Set<string>();
        const commitWindows: Array<{ begin: number; end: number; ids: string[] }> = [];

        let writing = true;
        const seen: RecordedEvent[] = [];
        const reader = (async () => {
          let checkpoint = start;
          // Generous: xmin is cluster-wide, so a long transaction elsewhere on the server holds the reader back.
          const deadline = Date.now() + 20_000;
          // Keep reading until the writers are done and every committed event has arrived.
          while (writing || seen.filter((e) => committed.has(e.eventId)).length < committed.size) {
            if (!writing && Date.now() > deadline) break;
            const page = await opened.store.readAll(checkpoint, { limit: pageSize });
            for (const event of page.events) {
              // Never hand out anything at or before the checkpoint the reader already passed.
              expect(
                event.transactionId > checkpoint.transactionId ||
                  (event.transactionId === checkpoint.transactionId && event.position > checkpoint.position),
              ).toBe(true);
              checkpoint = { transactionId: event.transactionId, position: event.position };
              seen.push(event);
            }
            expect(page.checkpoint).toEqual(checkpoint);
            if (page.events.length === 0) await sleep(1);
          }
        })().then(
          () => undefined,
          // Held until the writers are done, so a reader failure is reported, not left unhandled.
          (error: unknown) => error,
        );

        await Promise.all(
          writers.map(async (w, index) => {
            await sleep(w.startDelayMs);
            const first: StreamAppend = {
              streamId: streamId(w.stream),
              expectedVersion: "any",
              events: events(w.count),
            };
            const second: StreamAppend = {
              streamId: streamId((w.stream + 1) % 4),
              expectedVersion: "any",
              events: events(1),
            };
            const ids = [...first.events, ...(w.many ? second.events : [])].map((e) => e.eventId);
            const options = {
              inTransaction: async () => {
                await sleep(w.delayMs);
                if (w.rollback) throw new Error(`rollback ${index}`);
              },
            };
            const begin = ++tick;
            try {
              if (w.many) {
                const results = await opened.store.appendMany([[first], [second]], options);
                expect(results.every((r) => !(r instanceof Error))).toBe(true);
              } else {
                await opened.store.append([first], options);
              }
            } catch (error) {
              expect(w.rollback).toBe(true);
              expect((error as Error).message).toBe(`rollback ${index}`);
              for (const id of ids) rolledBack.add(id);
              return;
            }
            const end = ++tick;
            expect(w.rollback).toBe(false);
            for (const id of ids) committed.set(id, { begin, end, writer: index });
            commitWindows.push({ begin, end, ids });
          }),
        );
        writing = false;
        const readerError = await reader;
        if (readerError) throw readerError;

        const ours = seen.filter((e) => e.streamId.startsWith(`p-${run}-`));
        const ids = ours.map((e) => e.eventId);
        expect(new Set(ids).size).toBe(ids.length); // exactly once
        expect(new Set(ids)).toEqual(new Set(committed.keys())); // all committed, nothing rolled back
        for (const id of ids) expect(rolledBack.has(id)).toBe(false);

        // Per stream, versions arrive contiguous from 1.
        const byStream = new Map<string, number[]>();
        for (const e of ours)
          byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.streamVersion]);
        for (const versions of byStream.values()) {
          expect(versions).toEqual(versions.map((_, i) => i + 1));
        }

        // Commit order: a transaction that finished before another began is read before it.
        const order = new Map(ids.map((id, i) => [id, i]));
        for (const a of commitWindows) {
          for (const b of commitWindows) {
            if (a.end < b.begin) {
              const lastOfA = Math.max(...a.ids.map((id) => order.get(id)!));
              const firstOfB = Math.min(...b.ids.map((id) => order.get(id)!));
              expect(lastOfA).toBeLessThan(firstOfB);
            }
          }
        }
      },
    ),
    // No shrinking: a failing run waits out the reader's deadline, and shrinking would repeat that.
    { numRuns, endOnFailure: true },
  );
}
