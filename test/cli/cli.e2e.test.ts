import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type SwitchyardRun as Run, runSwitchyard as run } from "../support/switchyard-process.js";

const PG = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

async function writeTemp(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "switchyard-cli-"));
  temps.push(dir);
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

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

  it("the demo runs the demo contact centre on simulated calls, with live progress and a summary", async () => {
    const result = await run(["demo", "--minutes", "3"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("PGlite (embedded, in memory)");
    expect(result.stdout).toMatch(/private nats-server at nats:\/\/127\.0\.0\.1:\d+/);
    expect(result.stdout).toContain("services up: router, agent-presence, relay");
    expect(result.stdout).toContain('media-gateway (simulated driver, gateway "sim")');
    expect(result.stdout).toMatch(
      /12 agents, 6 groups, 2 numbers, 2 flows; \d+ callers over 3 min simulated/,
    );
    expect(result.stdout).toContain("configuration: 23 config events appended");
    // Live progress: calls and every agent's state.
    expect(result.stdout).toMatch(
      /^\[\d\d:\d\d\] calls \d+ offered \d+ answered \d+ fallen back \d+ queued \d+ abandoned \d+ in progress \d+ \| ana:\w+ ben:\w+/m,
    );
    const arrived = Number(/calls: (\d+) arrived/.exec(result.stdout)?.[1]);
    expect(arrived).toBeGreaterThan(0);
    expect(result.stdout).toMatch(
      /average speed of answer \d+\.\d s; service level \d+\.\d% answered within 20 s/,
    );
    expect(result.stdout).toMatch(/abandoned \d+ \(\d+\.\d%\)/);
    expect(result.stdout).toMatch(/Sales \(sales\)\s+\d+\s+\d+/);
    expect(result.stdout).toMatch(/Ana \(ana\)\s+\d+\s+\d+\s+\d+\s+\d+\.\d s\s+\d+\.\d s\s+\d+\.\d%/);
    expect(result.stdout).toMatch(/calls never connected to an agent: \d+/);
    // The relay carried every stored event onto JetStream once, in order.
    const relayed = /relayed to JetStream EVENTS: (\d+)\/(\d+) events, 0 duplicates, 0 out of order/.exec(
      result.stdout,
    );
    expect(relayed?.[1]).toBe(relayed?.[2]);
    // Telemetry is off (no OTEL_*, no --trace-summary): nothing about traces.
    expect(result.stdout).not.toContain("trace summary");
    expect(result.stdout).toContain("switchyard demo: ok");
    expect(result.code).toBe(0);
  });

  it("demo --trace-summary traces in memory and prints each call's spans and a few calls' span trees", async () => {
    const result = await run(["demo", "--minutes", "1", "--speed", "120", "--trace-summary"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("telemetry: on (switchyard-demo, in-process exporters)");
    const arrived = Number(/calls: (\d+) arrived/.exec(result.stdout)?.[1]);
    expect(arrived).toBeGreaterThan(0);
    // One trace per call, every call in it; and nothing traced outside the calls.
    const head = /trace summary \(OpenTelemetry SDK, in-memory exporter\): (\d+) calls, (\d+) spans;/.exec(
      result.stdout,
    );
    expect(Number(head?.[1])).toBe(arrived);
    // The simulation's call ids: sim-<tag from the seed and start>-<n>.
    const rows = [...result.stdout.matchAll(/^ {2}(sim-[0-9a-z]+-\d+) +(\d+) +[\d.]+ m?s {2}(.+)$/gm)];
    expect(rows).toHaveLength(arrived);
    for (const [, , spans, services] of rows) {
      expect(Number(spans)).toBeGreaterThan(5);
      expect(services).toBe("media-gateway, relay, router");
    }
    expect(rows.reduce((n, [, , spans]) => n + Number(spans), 0)).toBe(Number(head?.[2]));
    // The first call's tree: the gateway's root, the router's first decision under it, its append, the
    // relay's publishes and the gateway's next command under that.
    const tree = result.stdout.split("trace of the first call")[1]?.split("\n") ?? [];
    expect(tree[1]).toMatch(/^ {4}└─ gateway\.inbound_call {2}\[media-gateway\]/);
    expect(tree[2]).toMatch(/^ {7}├─ router\.decide {2}\[router\] {2}StartCall → CallStarted,/);
    expect(tree[3]).toMatch(/^ {7}│ {2}└─ eventstore\.append {2}\[router\] {2}\d+ events/);
    // Under the append, in the order they started (the relay and the gateway race): the relay's publishes of
    // the events (one line) and the command they led to.
    const underAppend = [tree[4] ?? "", tree[5] ?? ""];
    expect(underAppend.map((l) => l.slice(0, 14))).toEqual(["       │     ├", "       │     └"]);
    expect(underAppend.some((l) => /─ relay\.publish ×\d+ {2}\[relay\] {2}CallStarted, /.test(l))).toBe(true);
    expect(underAppend.some((l) => /─ gateway\.leg_command {2}\[media-gateway\] {2}\w+/.test(l))).toBe(true);
    expect(result.stdout).toContain("switchyard demo: ok");
  });

  it("simulate runs any contact centre with its traffic and reports from the event store", async () => {
    const file = await writeTemp(
      "small.yaml",
      `
agents:
  - { id: amy, name: Amy, phone: "+15550100001" }
  - { id: bo, name: Bo, sip: "sip:bo@pbx.example.com" }
groups:
  - { id: desk, name: Desk, strategy: round-robin, members: [amy, bo], ringTimeoutSec: 20 }
numbers:
  - { number: "+15550109999", flow: front }
flows:
  - id: front
    start: ring
    applets:
      ring: { type: connect, target: { group: desk }, branches: { fallback: vm } }
      vm: { type: voicemail, maxLengthSec: 30, next: bye }
      bye: { type: hangup }
traffic:
  seed: small
  arrivals: [{ number: "+15550109999", schedule: [5, 40, 75, 110] }]
  callers: { talkTime: 10, patience: never, voicemail: 5 }
  agents: { default: { answerDelay: 2, noAnswer: 0, busy: 0, reject: 0 } }
`,
    );
    const result = await run(["simulate", "--config", file, "--minutes", "2", "--speed", "30"]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(
      "2 agents, 1 groups, 1 numbers, 1 flows; 4 callers over 2 min simulated (seed small)",
    );
    expect(result.stdout).toContain("calls: 4 arrived, 4 offered to agents, 4 answered (answer rate 100.0%)");
    expect(result.stdout).toContain("service level 100.0% answered within 20 s");
    // Round-robin: two calls each.
    expect(result.stdout).toMatch(/Amy \(amy\)\s+2\s+2\s+0\s/);
    expect(result.stdout).toMatch(/Bo \(bo\)\s+2\s+2\s+0\s/);
    expect(result.stdout).toContain("calls never connected to an agent: 0");
    expect(result.stdout).toContain("switchyard simulate: ok");
    expect(result.code).toBe(0);
  });

  it("simulate says a run is distorted and exits 3 when timers fired later than the tolerance", async () => {
    const file = await writeTemp(
      "late.yaml",
      `
agents:
  - { id: amy, name: Amy, phone: "+15550100001" }
groups:
  - { id: desk, name: Desk, strategy: round-robin, members: [amy], ringTimeoutSec: 5 }
numbers:
  - { number: "+15550109999", flow: front }
flows:
  - id: front
    start: ring
    applets:
      ring: { type: connect, target: { group: desk }, branches: { fallback: bye } }
      bye: { type: hangup }
traffic:
  seed: late
  arrivals: [{ number: "+15550109999", schedule: [5, 40] }]
  callers: { talkTime: 10, patience: never }
  agents: { default: { answerDelay: 2, noAnswer: 1, busy: 0, reject: 0 } }
`,
    );
    // Every timer fires some real milliseconds after its due time; a tolerance of 1 ms of simulated time
    // is below what any machine does at ×30, so the ring timeouts of the unanswered calls must trip it.
    const result = await run([
      "simulate",
      "--config",
      file,
      "--minutes",
      "1",
      "--speed",
      "30",
      "--max-timer-lateness",
      "0.001",
    ]);
    expect(result.stdout).toMatch(
      /timers: [1-9]\d* fired, late by p99 [\d.]+ s, at most [\d.]+ s of simulated time \(tolerance 0\.001 s\)/,
    );
    expect(result.stdout).toContain("switchyard simulate: DISTORTED: a timer fired");
    expect(result.stdout).toContain("switchyard simulate: FAILED");
    expect(result.code).toBe(3);
  });

  it("simulate rejects a bad contact centre listing every error, and starts nothing", async () => {
    const file = await writeTemp(
      "bad.yaml",
      `
agents:
  - { id: amy, phone: "555-0100" }
  - { id: bo, sip: "bo at pbx" }
groups:
  - { id: desk, strategy: round-robin, members: [amy, cy, bo] }
numbers:
  - { number: "+15550109999", flow: front }
flows:
  - id: front
    start: ring
    applets:
      ring: { type: connect, target: { group: desk }, branches: { noAnswer: voicemial, fallback: bye } }
      bye: { type: hangup }
`,
    );
    const result = await run(["simulate", "--config", file]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toEqual([
      "switchyard: invalid contact centre configuration (4 errors), nothing started:",
      expect.stringMatching(
        new RegExp(`^  ${escapeRe(file)}:agents\\[0\\]\\.phone: "555-0100" is not an E\\.164 number`),
      ),
      expect.stringMatching(
        new RegExp(`^  ${escapeRe(file)}:agents\\[1\\]\\.sip: "bo at pbx" is not a SIP URI`),
      ),
      `  ${file}:groups[0].members[1]: unknown agent "cy" (not in agents)`,
      `  ${file}:flows[0].applets.ring.branches.noAnswer: branch "noAnswer" goes to unknown applet "voicemial"`,
    ]);
  });

  it("simulate rejects bad traffic listing every error, and starts nothing", async () => {
    const config = await writeTemp(
      "ok.yaml",
      `
agents: [{ id: amy, phone: "+15550100001" }]
numbers: [{ number: "+15550109999", flow: f }]
flows: [{ id: f, start: ring, applets: { ring: { type: connect, target: { agent: amy }, branches: { fallback: bye } }, bye: { type: hangup } } }]
`,
    );
    const traffic = await writeTemp(
      "traffic.yaml",
      `
traffic:
  arrivals: [{ number: "+15550100000", perHour: 10 }]
  callers: { talkTime: { exponential: 0 } }
  agents: { zed: { noAnswer: 0.5 } }
`,
    );
    const result = await run(["simulate", "--config", config, "--traffic", traffic]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      "switchyard: invalid traffic configuration (3 errors), nothing started:",
      `  ${traffic}:traffic.arrivals[0].number: +15550100000 is not a business number of the contact centre`,
      `  ${traffic}:traffic.callers.talkTime.exponential: the mean must be greater than 0`,
      `  ${traffic}:traffic.agents.zed: unknown agent "zed" (not in the contact centre's agents)`,
    ]);
  });

  it("simulate without --config says what it needs", async () => {
    const result = await run(["simulate"]);
    expect(result.code).toBe(2);
    expectOneLineError(result, /^switchyard: simulate needs a contact centre: --config FILE/);
  });
});
