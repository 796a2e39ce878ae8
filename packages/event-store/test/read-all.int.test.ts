import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenedEventStore } from "../src/index.js";
import { followerProperty, head } from "./follower-property.js";
import { events, pgFactory } from "./support.js";

const factory = pgFactory({ poolSize: 24 });
let opened: OpenedEventStore;

beforeAll(async () => {
  opened = await factory.open();
});
afterAll(async () => {
  await factory.cleanup();
});

/** A promise with its resolve function, to hold a transaction open until the test says so. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe("readAll follows the log in commit order (pg)", () => {
  it("waits for a transaction that started earlier but commits later instead of skipping it", async () => {
    const start = await head(opened);
    const slow = latch();
    const inside = latch();
    const early = events(1);
    const late = events(1);
    const slowAppend = opened.store.append(
      [{ streamId: `s-${randomUUID()}`, expectedVersion: "any", events: early }],
      {
        inTransaction: async () => {
          inside.open();
          await slow.promise;
        },
      },
    );
    await inside.promise;
    await opened.store.append([{ streamId: `f-${randomUUID()}`, expectedVersion: "any", events: late }]);
    // The fast transaction committed, but the slow one (older, lower position) is still open: nothing
    // may be handed out yet, or the reader's checkpoint would move past the slow one's events.
    const blocked = await opened.store.readAll(start);
    expect(blocked.events.map((e) => e.eventId)).not.toContain(late[0]!.eventId);
    expect(blocked.events.map((e) => e.eventId)).not.toContain(early[0]!.eventId);
    slow.open();
    await slowAppend;
    const ids: string[] = [];
    await expect
      .poll(
        async () => {
          const page = await opened.store.readAll(start);
          ids.splice(0, ids.length, ...page.events.map((e) => e.eventId));
          return ids.includes(late[0]!.eventId);
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    expect(ids.indexOf(early[0]!.eventId)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(early[0]!.eventId)).toBeLessThan(ids.indexOf(late[0]!.eventId));
  });

  it("property: a follower sees every committed event exactly once, in commit order, and no rolled-back one", async () => {
    await followerProperty(opened, 30);
  });
});
