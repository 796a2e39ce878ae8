import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { presenceBucket } from "@switchyard/contracts";
import { gatewayStateBucket } from "@switchyard/media-gateway";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../packages/cli/bin/switchyard.mjs", import.meta.url));
const PG = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

const dir = await mkdtemp(join(tmpdir(), "switchyard-run-"));
const schema = `cli_run_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
const prefix = `clirun${randomUUID().replaceAll("-", "").slice(0, 8)}`;

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  // The platform declared its streams (and the presence KV bucket) on the shared NATS under this prefix.
  const bus = await connectBus({ url: NATS, prefix });
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  await jsm.streams.delete(`KV_${presenceBucket(prefix)}`).catch(() => false);
  await jsm.streams.delete(`KV_${gatewayStateBucket(prefix, "default")}`).catch(() => false);
  await bus.deleteStreams();
  await bus.close();
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
});

const CONTACT_CENTRE = `
nats:
  prefix: ${prefix}
database:
  schema: ${schema}
admin:
  listen: "127.0.0.1:0"
account:
  businessNumbers: ["+15550100000"]
agents:
  - { id: amy, name: Amy, phone: "+15550100001" }
  - { id: bo, name: Bo, sip: "sip:bo@pbx.example.com" }
groups:
  - { id: desk, name: Desk, strategy: round-robin, members: [amy, bo] }
numbers:
  - { number: "+15550100000", flow: front }
flows:
  - id: front
    start: ring
    applets:
      ring: { type: connect, target: { group: desk }, branches: { noAnswer: bye, busy: bye, failed: bye, allAgentsBusy: bye } }
      bye: { type: hangup }
`;

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `switchyard run`; once stdout shows `until`, sends SIGTERM (a graceful stop). */
function runUntil(args: string[], until?: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "run", ...args], {
      env: { ...process.env, DATABASE_URL: PG, NATS_URL: NATS },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let stopped = false;
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      if (until && !stopped && stdout.includes(until)) {
        stopped = true; // once: a second signal is the user's "stop now"
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("switchyard run --config", () => {
  it("loads the contact centre declared in the file into the config stream, then runs until stopped", async () => {
    const file = join(dir, "good.yaml");
    await writeFile(file, CONTACT_CENTRE);
    const first = await runUntil(["--config", file], "switchyard: up");
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(/configuration from .*good\.yaml: [1-9]\d* config events appended/);
    expect(first.stdout).toContain("services up: router, agent-presence, media-gateway, admin-api, relay");
    expect(first.stdout).toContain('media-gateway "default" runs the SIMULATED driver');
    expect(first.stdout).toMatch(/admin-api on 127\.0\.0\.1:\d+, plaintext \(no TLS\), 0 tokens/);
    expect(first.stdout).toContain("every request is refused");
    expect(first.code).toBe(0);

    const client = new pg.Client({ connectionString: PG });
    await client.connect();
    try {
      const { rows } = await client.query(
        `select type from ${schema}.events where stream_id = 'config' order by stream_version`,
      );
      expect(rows.map((r) => r.type)).toEqual(
        expect.arrayContaining(["AgentDefined", "GroupDefined", "FlowDefined", "NumberDefined"]),
      );
    } finally {
      await client.end();
    }

    // The same file again appends nothing: the store already holds that configuration.
    const again = await runUntil(["--config", file], "switchyard: up");
    expect(again.stdout).toMatch(/good\.yaml: 0 config events appended/);
    expect(again.code).toBe(0);
  });

  it("rejects a file with errors, listing each with file and path, and starts nothing", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      CONTACT_CENTRE.replace("members: [amy, bo]", "members: [amy, cy]").replace(
        '"+15550100001"',
        '"0100 001"',
      ),
    );
    const result = await runUntil(["--config", file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("invalid contact centre configuration (2 errors), nothing started");
    expect(result.stderr).toContain(`${file}:agents[0].phone:`);
    expect(result.stderr).toContain(`${file}:groups[0].members[1]: unknown agent "cy"`);
  });

  it("names a misspelled section of the file", async () => {
    const file = join(dir, "typo.yaml");
    await writeFile(file, CONTACT_CENTRE.replace("\nagents:", "\nagent:"));
    const result = await runUntil(["--config", file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/typo\.yaml: agent: unknown section/);
  });
});
