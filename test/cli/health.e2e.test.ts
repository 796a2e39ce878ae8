// `switchyard run --health-listen`: /livez and /readyz backed by the database, NATS and the consumers, and
// SIGTERM: not ready at once, then the media gateway and the services drain and the process exits 0 within the
// timeout.

import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { presenceBucket } from "@switchyard/contracts";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../packages/cli/bin/switchyard.mjs", import.meta.url));
const PG = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const schema = `cli_health_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const prefix = `clihealth${randomUUID().replaceAll("-", "").slice(0, 8)}`;

let child: ChildProcess | undefined;
afterAll(async () => {
  child?.kill("SIGKILL");
  const bus = await connectBus({ url: NATS, prefix });
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  await jsm.streams.delete(`KV_${presenceBucket(prefix)}`).catch(() => false);
  await bus.deleteStreams();
  await bus.close();
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

/** Lines of the child's stdout, and a wait for one matching. */
function lines(p: ChildProcess) {
  const seen: string[] = [];
  let waiters: Array<() => void> = [];
  let buffer = "";
  p.stdout!.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    seen.push(...parts);
    for (const w of waiters) w();
  });
  return {
    seen,
    async waitFor(re: RegExp, ms = 120_000): Promise<string> {
      const deadline = performance.now() + ms;
      for (;;) {
        const hit = seen.find((l) => re.test(l));
        if (hit) return hit;
        if (performance.now() > deadline) throw new Error(`no line ${re} in:\n${seen.join("\n")}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 500);
        });
        waiters = [];
      }
    },
  };
}

describe("health endpoints and SIGTERM", () => {
  it("answers /livez and /readyz from real checks, turns not ready on SIGTERM and exits 0 after draining", async () => {
    child = spawn(
      process.execPath,
      [BIN, "run", "--target", "router,relay,agent-presence,media-gateway", "--health-listen", "127.0.0.1:0"],
      {
        env: {
          ...process.env,
          DATABASE_URL: PG,
          DATABASE_SCHEMA: schema,
          NATS_URL: NATS,
          SWITCHYARD_PREFIX: prefix,
          SWITCHYARD_SHUTDOWN_TIMEOUT: "20",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const out = lines(child);
    const exited = new Promise<number | null>((r) => child!.once("exit", (code) => r(code)));
    const healthLine = await out.waitFor(/^health: http:\/\//);
    const base = /http:\/\/([^/]+)\//.exec(healthLine)![1]!;
    await out.waitFor(/switchyard: up/);

    const live = await fetch(`http://${base}/livez`);
    expect(live.status).toBe(200);
    const ready = await fetch(`http://${base}/readyz`);
    const body = (await ready.json()) as {
      ok: boolean;
      checks: Record<string, { ok: boolean; detail?: string }>;
    };
    expect(ready.status, JSON.stringify(body)).toBe(200);
    expect(body.checks.database?.ok).toBe(true);
    expect(body.checks.nats?.ok).toBe(true);
    expect(body.checks.draining?.ok).toBe(true);
    // router (4 consumers), relay (none), agent-presence (its own): all pulling.
    expect(body.checks.consumers?.ok).toBe(true);
    expect(Number(/(\d+) consumers/.exec(body.checks.consumers?.detail ?? "")?.[1])).toBeGreaterThanOrEqual(
      5,
    );
    expect((await fetch(`http://${base}/nope`)).status).toBe(404);

    child.kill("SIGTERM");
    await out.waitFor(/switchyard: stopping/);
    // Draining: the health server is still up until the services stopped, and says not ready.
    const draining = await fetch(`http://${base}/readyz`).then(
      async (r) => ({
        status: r.status,
        body: (await r.json()) as { checks: Record<string, { ok: boolean }> },
      }),
      () => undefined, // already closed: the drain was quicker than this request
    );
    if (draining) {
      expect(draining.status).toBe(503);
      expect(draining.body.checks.draining?.ok).toBe(false);
    }
    // The media gateway drained first (no calls up: at once; test/e2e/gateway-drain.e2e.test.ts has calls).
    await out.waitFor(
      /^media-gateway drained: 0 calls up, 0 finished, 0 hung up at the 15 s drain deadline$/,
    );
    expect(await exited, stderr).toBe(0);
    child = undefined;
  });
});
