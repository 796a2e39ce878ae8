// The per-consumer sets of activity.ts are bounded in a production process (no virtual clock watching): a
// message that another process published, or that another process's consumer bound to the same durable
// settles, must not leave an entry behind for ever.
import { afterEach, describe, expect, it } from "vitest";
import {
  confirmedUpTo,
  expectedIn,
  localView,
  onBusActivity,
  published,
  settledBy,
  trackConsumer,
} from "../src/activity.js";

const cleanUps: Array<() => void> = [];
afterEach(() => {
  for (const clean of cleanUps.splice(0)) clean();
});

function consumerOf(stream: string, durable?: string) {
  const c = trackConsumer(stream, "work.>", durable);
  cleanUps.push(() => c.remove());
  return c;
}

function watch(): () => void {
  const stop = onBusActivity(() => {});
  cleanUps.push(stop);
  return stop;
}

describe("bus activity counts", () => {
  it("given nobody watches, when a consumer settles many messages another process published, then nothing is kept for them", () => {
    const c = consumerOf("srv A", "gateway");
    for (let seq = 1; seq <= 10_000; seq++) settledBy(c, seq);
    expect(c.early.size).toBe(0);
  });

  it("given nobody watches, when this process publishes many messages another process's consumer settles, then nothing is kept for them", () => {
    const c = consumerOf("srv B", "router");
    for (let seq = 1; seq <= 10_000; seq++) published("srv B", "work.x", seq, false);
    expect(c.expected.size).toBe(0);
    expect(expectedIn(["srv B"])).toBe(0);
  });

  it("given a watcher, when this process publishes to its own consumer, then the message is expected until that consumer settles it", () => {
    watch();
    const c = consumerOf("srv C", "worker");
    published("srv C", "work.a", 1, false);
    published("srv C", "other.a", 2, false); // outside the consumer's filter
    expect(expectedIn(["srv C"])).toBe(1);
    settledBy(c, 1);
    expect(expectedIn(["srv C"])).toBe(0);
  });

  it("given a watcher, when delivery overtakes the publish acknowledgement, then the late acknowledgement expects nothing", () => {
    watch();
    const c = consumerOf("srv D");
    settledBy(c, 1);
    published("srv D", "work.a", 1, false);
    expect(expectedIn(["srv D"])).toBe(0);
  });

  it("given a watcher, when the server confirms a stream, then stale entries below its last sequence go and the consumer is covered", () => {
    watch();
    const c = consumerOf("srv E");
    published("srv E", "work.a", 1, false); // settled by another process's consumer of the same durable
    settledBy(c, 7); // published by another process, acknowledgement never seen here
    confirmedUpTo("srv E", 7);
    expect(c.expected.size).toBe(0);
    expect(c.early.size).toBe(0);
    expect(localView("srv E").consumers.every((x) => x.verified)).toBe(true);
  });

  it("given a consumer the server confirmed, when watching stops and starts again, then it is not covered until the server confirms it again", () => {
    const stop = watch();
    const c = consumerOf("srv F");
    confirmedUpTo("srv F", 3);
    expect(c.verified).toBe(true);
    stop();
    // Unwatched: a publish here is not counted, so the local counts cannot vouch for the consumer.
    published("srv F", "work.a", 4, false);
    confirmedUpTo("srv F", 4);
    expect(c.verified).toBe(false);
    watch();
    expect(c.verified).toBe(false);
    expect(expectedIn(["srv F"])).toBe(0);
  });
});
