// No configured secret in any log line or exported span: `switchyard run --target all` with planted secrets
// (the PostgreSQL password in DATABASE_URL, the NATS password, an admin API token) at debug log level,
// exporting traces and metrics over OTLP to a receiver here; a call is routed, the admin API is used with
// the right token and refused with a wrong one; then every byte the process printed and exported is
// searched for each secret.
import { type ChildProcess, spawnSync } from "node:child_process";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, connectBus, freeLoopbackPort, type NatsServer, startNatsServer } from "@switchyard/bus";
import {
  type AgentInputMessage,
  agentInputSubject,
  type CallInputMessage,
  callInputSubject,
} from "@switchyard/contracts";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { callStreamId } from "@switchyard/routing-domain";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REPO_ROOT, SWITCHYARD_BIN, spawnSwitchyard } from "../support/switchyard-process.js";

const id = randomBytes(4).toString("hex");
const SECRETS = {
  pg: `pgS3cret${id}`,
  nats: `natsS3cret${id}`,
  token: `tok_${randomBytes(18).toString("hex")}`,
  wrongToken: `tok_${randomBytes(18).toString("hex")}`,
};
const PG_URL = `postgres://postgres:${SECRETS.pg}@127.0.0.1:5432/test`;
const SCHEMA = `secrets_${id}`;
const PREFIX = `tsec${id}`;
const NUMBER = "+14155550100";

let nats: NatsServer;
let receiver: Server;
let es: OpenedEventStore;
let bus: Bus;
let proc: ChildProcess;
let adminPort: number;
const dir = mkdtempSync(join(tmpdir(), "sy-secrets-"));
const captured: string[] = [];

async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

beforeAll(async () => {
  nats = await startNatsServer({
    config: (listen, storeDir) =>
      `listen: "${listen}"\njetstream { store_dir: "${storeDir}" }\nauthorization { user: "sy", password: $NATS_PW }\n`,
    env: { NATS_PW: SECRETS.nats },
  });
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      captured.push(`otlp ${req.url}: ${body}`);
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  adminPort = await freeLoopbackPort();
  const sha256 = createHash("sha256").update(SECRETS.token).digest("hex");
  const config = join(dir, "centre.yaml");
  writeFileSync(
    config,
    `
admin:
  tokens:
    - { name: ops, role: admin, sha256: ${sha256} }
account: { businessNumbers: ["${NUMBER}"] }
agents:
  - { id: ana, name: Ana, phone: "+14155550111" }
groups:
  - { id: desk, name: Desk, strategy: round-robin, members: [ana], ringTimeoutSec: 30 }
numbers:
  - { number: "${NUMBER}", flow: main }
flows:
  - id: main
    name: Main
    start: desk
    applets:
      desk: { type: connect, target: { group: desk }, branches: { fallback: bye } }
      bye: { type: hangup }
`,
  );
  const natsUrl = nats.url("sy", SECRETS.nats);
  const run = spawnSwitchyard(
    ["run", "--target", "all", "--config", config, "--admin-listen", `127.0.0.1:${adminPort}`],
    {
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: SCHEMA,
      NATS_URL: natsUrl,
      SWITCHYARD_PREFIX: PREFIX,
      SWITCHYARD_LOG_FORMAT: "json",
      SWITCHYARD_LOG_LEVEL: "debug",
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_METRICS_EXPORTER: "otlp",
      OTEL_METRIC_EXPORT_INTERVAL: "1000",
      OTEL_BSP_SCHEDULE_DELAY: "200",
    },
    (line) => line.includes("switchyard: up"),
    (line) => captured.push(line),
  );
  proc = run.proc;
  await run.ready;
  es = await openEventStore({ url: PG_URL, schema: SCHEMA });
  bus = await connectBus({ url: natsUrl, prefix: PREFIX });
}, 120_000);

afterAll(async () => {
  if (proc && proc.exitCode === null) proc.kill("SIGKILL");
  await bus?.close();
  await es?.close();
  await dropSchema("postgres://postgres@127.0.0.1:5432/test", SCHEMA);
  await nats?.stop();
  receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

function adminCli(...args: string[]): { status: number | null; text: string } {
  const r = spawnSync(process.execPath, [SWITCHYARD_BIN, ...args, "--server", `127.0.0.1:${adminPort}`], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    env: { ...process.env, SWITCHYARD_LOG_FORMAT: "json" },
  });
  return { status: r.status, text: `${r.stdout}${r.stderr}` };
}

it("no secret appears in any log line, span or metric of a run", async () => {
  const ok = adminCli("agents", "list", "--token", SECRETS.token);
  expect(ok.status, ok.text).toBe(0);
  expect(ok.text).toContain("ana");
  const refused = adminCli("agents", "list", "--token", SECRETS.wrongToken);
  expect(refused.status).not.toBe(0);
  captured.push(ok.text, refused.text);

  const signIn: AgentInputMessage = {
    messageId: randomUUID(),
    agentId: "ana",
    input: { type: "SignIn" },
    at: Date.now(),
  };
  await bus.publish(agentInputSubject("ana"), signIn, { msgId: signIn.messageId });
  await new Promise((r) => setTimeout(r, 500));
  const callId = randomUUID();
  const start: CallInputMessage = {
    messageId: randomUUID(),
    callId,
    gatewayId: "default",
    input: { type: "StartCall", callId, from: "+14155550999", to: NUMBER },
    at: Date.now(),
  };
  await bus.publish(callInputSubject(callId), start, { msgId: start.messageId });
  const types = async () => (await es.store.readStream(callStreamId(callId))).map((e) => e.type);
  await eventually(
    async () => ((await types()).includes("LegAnswered") ? true : undefined),
    "the agent answered",
  );
  const hangUp: CallInputMessage = {
    messageId: randomUUID(),
    callId,
    input: { type: "HangUp", reason: "test" },
    at: Date.now(),
  };
  await bus.publish(callInputSubject(callId), hangUp, { msgId: hangUp.messageId });
  await eventually(async () => ((await types()).includes("CallEnded") ? true : undefined), "the call ended");

  // Stop: the SDK flushes its last spans and metrics on the way out.
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGTERM");
  await exited;

  const all = captured.join("\n");
  // The capture holds what it should: debug log lines of the call, its spans and the platform's metrics.
  expect(all).toContain(callId);
  expect(all).toContain("router.decide");
  expect(captured.filter((l) => l.startsWith("otlp /v1/metrics")).length).toBeGreaterThan(0);
  for (const [name, secret] of Object.entries(SECRETS))
    expect(all.includes(secret), `${name} secret found in the output`).toBe(false);
});
