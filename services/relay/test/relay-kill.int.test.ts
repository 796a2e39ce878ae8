import { type ChildProcess, spawn } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { type Bus, connectBus } from "@switchyard/bus";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  DATABASE_URL,
  eventually,
  NATS_URL,
  readStream,
  sleep,
  streamMessageCount,
  suffix,
} from "./helpers.js";

// 10,000 events from concurrent writers while relay processes are SIGKILLed and restarted at random
// moments (sometimes two running, so the standby takes over): the EVENTS stream must end up with every
// event exactly once, each stream's events in version order.

const TOTAL = 10_000;
const WRITERS = 8;
const STREAMS_PER_WRITER = 50;
const CATEGORIES = ["call", "agent", "queue", "group"] as const;
const REPO_ROOT = resolve(import.meta.dirname, "../../..");
// Started the way deployments start a relay: `switchyard run --target relay`, configured by environment.
const BIN = resolve(REPO_ROOT, "packages/cli/bin/switchyard.mjs");

const id = suffix();
const schema = `relay_kill_${id}`;
const prefix = `tkill${id}`;
let bus: Bus;
let es: OpenedEventStore;

interface RelayChild {
  readonly proc: ChildProcess;
  readonly n: number;
  leader: boolean;
  exited: boolean;
  readonly stderr: string[];
}
const children: RelayChild[] = [];
let spawned = 0;

function spawnRelay(): RelayChild {
  const proc = spawn(process.execPath, [BIN, "run", "--target", "relay"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATABASE_URL,
      NATS_URL,
      SWITCHYARD_PREFIX: prefix,
      DATABASE_SCHEMA: schema,
      SWITCHYARD_RELAY_POLL_MS: "20",
      SWITCHYARD_LOG_FORMAT: "json",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const child: RelayChild = { proc, n: spawned++, leader: false, exited: false, stderr: [] };
  createInterface({ input: proc.stdout! }).on("line", (line) => {
    if (line.includes('"relay is leader"')) child.leader = true;
  });
  createInterface({ input: proc.stderr! }).on("line", (line) => {
    child.stderr.push(line);
    if (child.stderr.length > 20) child.stderr.shift();
  });
  proc.on("exit", () => {
    child.exited = true;
  });
  children.push(child);
  return child;
}

const alive = () => children.filter((c) => !c.exited);

async function killHard(child: RelayChild): Promise<void> {
  if (child.exited) return;
  const gone = new Promise((r) => child.proc.once("exit", r));
  child.proc.kill("SIGKILL");
  await gone;
}

beforeAll(async () => {
  bus = await connectBus({ url: NATS_URL, prefix, name: "relay-kill-test" });
  es = await openEventStore({ url: DATABASE_URL, schema, poolSize: WRITERS + 2 });
});

afterAll(async () => {
  await Promise.allSettled(alive().map((c) => killHard(c)));
  await es?.close();
  await bus?.deleteStreams();
  await bus?.close();
  await dropSchema(DATABASE_URL, schema);
});

/** One writer: its own streams (no conflicts between writers), 1–5 events per append, paced. */
async function writer(w: number, quota: number, appended: Map<string, string[]>): Promise<void> {
  const streams = Array.from(
    { length: STREAMS_PER_WRITER },
    (_, i) => `${CATEGORIES[i % CATEGORIES.length]}-w${w}-${i}-${randomUUID().slice(0, 8)}`,
  );
  const versions = new Map<string, number>();
  let left = quota;
  while (left > 0) {
    const streamId = streams[randomInt(streams.length)]!;
    const n = Math.min(left, 1 + randomInt(5));
    const version = versions.get(streamId) ?? 0;
    const events = Array.from({ length: n }, (_, i) => ({
      eventId: randomUUID(),
      type: "Happened",
      data: { w, version: version + i + 1 },
    }));
    await es.store.append([{ streamId, expectedVersion: version === 0 ? "no_stream" : version, events }]);
    versions.set(streamId, version + n);
    const ids = appended.get(streamId) ?? [];
    ids.push(...events.map((e) => e.eventId));
    appended.set(streamId, ids);
    left -= n;
    await sleep(randomInt(60));
  }
}

it("publishes every event exactly once and in stream order while relays are killed and restarted", async () => {
  const appended = new Map<string, string[]>();
  const started = performance.now();
  spawnRelay();
  let writing = true;
  const writers = Promise.all(
    Array.from({ length: WRITERS }, (_, w) => writer(w, TOTAL / WRITERS, appended)),
  ).finally(() => {
    writing = false;
  });

  let kills = 0;
  let leaderKills = 0;
  let bothRunning = 0;
  let singles = 0;
  while (writing || kills < 8) {
    await sleep(300 + randomInt(900));
    const running = alive();
    // Under load a relay process can take seconds to start: kill only once one of them leads, so that
    // kills hit relays that publish (and the test does not depend on how fast processes start).
    if (running.length > 0 && !running.some((c) => c.leader)) continue;
    if (running.length === 0) {
      spawnRelay();
    } else if (running.length === 1) {
      // Alternate: add a standby (which must take over at the next kill), or kill the only relay.
      if (singles++ % 2 === 0) {
        spawnRelay();
      } else {
        const victim = running[0]!;
        if (victim.leader) leaderKills++;
        await killHard(victim);
        kills++;
        spawnRelay();
      }
    } else {
      bothRunning++;
      // Prefer killing the leader, so the standby has to take over mid-stream.
      const leader = running.find((c) => c.leader);
      const victim = leader && randomInt(3) > 0 ? leader : running[randomInt(running.length)]!;
      if (victim.leader) leaderKills++;
      await killHard(victim);
      kills++;
    }
  }
  await writers;
  const written = performance.now();
  if (alive().length === 0) spawnRelay();

  await eventually(
    // On a loaded machine every relay may have been killed before it started, so the stream may not exist
    // yet: the last relay declares it when it starts.
    async () => ((await streamMessageCount(bus, "EVENTS").catch(() => 0)) >= TOTAL ? true : undefined),
    `all ${TOTAL} events on EVENTS (children stderr: ${children
      .flatMap((c) => c.stderr)
      .slice(-5)
      .join(" | ")})`,
    1_200,
    50,
  );
  const caughtUp = performance.now();
  // Stop the survivors cleanly and make sure nothing more arrives after the count was reached.
  await Promise.all(
    alive().map(
      (c) =>
        new Promise((r) => {
          c.proc.once("exit", r);
          c.proc.kill("SIGTERM");
        }),
    ),
  );

  const msgs = await readStream(bus, "EVENTS");
  expect(msgs.length).toBe(TOTAL);
  const allIds = [...appended.values()].flat();
  expect(allIds.length).toBe(TOTAL);
  expect(new Set(msgs.map((m) => m.msgId))).toEqual(new Set(allIds));
  expect(msgs.every((m) => m.event.id === m.msgId)).toBe(true);
  const seen = new Map<string, string[]>();
  for (const m of msgs) {
    const ids = seen.get(m.event.streamId) ?? [];
    expect(m.event.version).toBe(ids.length + 1);
    ids.push(m.msgId);
    seen.set(m.event.streamId, ids);
  }
  expect(seen).toEqual(appended);

  expect(kills).toBeGreaterThanOrEqual(8);
  expect(leaderKills).toBeGreaterThanOrEqual(1);
  expect(bothRunning).toBeGreaterThanOrEqual(1);
  const seconds = (caughtUp - started) / 1000;
  console.log(
    `relay kill test: ${TOTAL} events, ${spawned} relay processes, ${kills} SIGKILLs (${leaderKills} of the leader), ` +
      `${bothRunning} times two running; writing took ${((written - started) / 1000).toFixed(1)} s, ` +
      `all published after ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} events/s end to end)`,
  );
});
