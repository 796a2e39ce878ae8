import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BIN = fileURLToPath(new URL("../../packages/cli/bin/switchyard.mjs", import.meta.url));
const PG = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, DATABASE_URL: undefined, NATS_URL: undefined, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

function expectOneLineError(result: Run, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("switchyard command", () => {
  it("a bad DATABASE_URL gives one line naming the database and exits non-zero", async () => {
    const result = await run(["run", "--target", "relay"], {
      DATABASE_URL: "postgres://someone:hunter2@127.0.0.1:1/test",
      NATS_URL: NATS,
    });
    expectOneLineError(
      result,
      /^switchyard: cannot reach PostgreSQL at 127\.0\.0\.1:1\/test: .*ECONNREFUSED/,
    );
    expect(result.stderr).not.toContain("hunter2");
  });

  it("a database that does not exist is named", async () => {
    const url = new URL(PG);
    url.pathname = "/switchyard_no_such_db";
    const result = await run([
      "run",
      "--target",
      "relay",
      "--database-url",
      url.toString(),
      "--nats-url",
      NATS,
    ]);
    expectOneLineError(result, /switchyard_no_such_db.*does not exist/);
  });

  it("an unreachable NATS gives one line naming the server and exits non-zero", async () => {
    const result = await run([
      "run",
      "--target",
      "relay",
      "--database-url",
      PG,
      "--nats-url",
      "nats://127.0.0.1:1",
    ]);
    expectOneLineError(result, /^switchyard: cannot reach NATS at nats:\/\/127\.0\.0\.1:1/);
  });

  it("a malformed URL or unknown target is a configuration error listing every problem", async () => {
    const result = await run(["run", "--target", "routr", "--database-url", "mysql://x/y"]);
    expect(result.code).toBe(2);
    expectOneLineError(result, /unknown target "routr".*unsupported scheme "mysql:"/);
  });

  it("the demo starts the platform on embedded defaults and relays every event once, in order", async () => {
    const result = await run(["demo", "--calls", "20"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("PGlite (embedded, in memory)");
    expect(result.stdout).toMatch(/private nats-server at nats:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toContain(
      "relayed to JetStream EVENTS: 80/80 events, 0 duplicates, 0 out of order",
    );
    expect(result.stdout).toContain("switchyard demo: ok");
    expect(result.code).toBe(0);
  });
});
