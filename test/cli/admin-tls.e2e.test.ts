// Mutual TLS as a user sets it up: `run --target admin-api` from a configuration file whose `admin.tls` names
// a server certificate and the CA that client certificates must come from (made here with openssl), and
// the admin commands connecting with SWITCHYARD_TLS_CA / SWITCHYARD_TLS_CERT / SWITCHYARD_TLS_KEY. With the
// client certificate the command works; without one, with one from another CA, or in plaintext, it fails.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashToken } from "@switchyard/admin-api";
import { connectBus } from "@switchyard/bus";
import { runCli, startPlatform } from "@switchyard/cli";
import { loadRuntimeConfig } from "@switchyard/config";
import { dropSchema } from "@switchyard/event-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCertificates, type TestCertificates } from "../support/test-certificates.js";

const PG = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const id = randomUUID().replaceAll("-", "").slice(0, 10);
const schema = `cli_admtls_${id}`;
const prefix = `cliadmtls${id}`;
const TOKEN = `t-${randomUUID()}`;

let dir: string;
let certs: TestCertificates;
let platform: AsyncDisposable;
let server: string;
let described: string;

async function agentsList(env: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli({
    command: "agents",
    args: ["list"],
    flags: { server, token: TOKEN, json: true },
    env,
    signal: new AbortController().signal,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "switchyard-admin-tls-"));
  certs = makeTestCertificates(dir);
  const runtimeFile = join(dir, "runtime.yaml");
  await writeFile(
    runtimeFile,
    [
      "admin:",
      '  listen: "127.0.0.1:0"',
      `  tokens: [{ name: ops, role: admin, sha256: ${hashToken(TOKEN)} }]`,
      `  tls: { cert: "${certs.serverCert}", key: "${certs.serverKey}", clientCa: "${certs.ca}" }`,
      "",
    ].join("\n"),
  );
  const flags = { target: "admin-api", config: runtimeFile };
  const config = loadRuntimeConfig({
    flags: { ...flags, "database-url": PG, "nats-url": NATS, "database-schema": schema, prefix },
    env: {},
  });
  const p = await startPlatform(config, { log: () => {}, flags, env: {} });
  platform = p;
  described = p.describe().join("\n");
  const m = /admin-api on (127\.0\.0\.1:\d+), mutual TLS/.exec(described);
  expect(m, described).not.toBeNull();
  server = m![1]!;
});

afterAll(async () => {
  await platform?.[Symbol.asyncDispose]();
  const bus = await connectBus({ url: NATS, prefix });
  await bus.deleteStreams();
  await bus.close();
  await dropSchema(PG, schema);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("admin commands over mutual TLS", () => {
  it("work with the client certificate, and fail without it, with a stranger's, or in plaintext", async () => {
    expect(described).toContain("mutual TLS (client certificates required), 1 token");
    const ok = await agentsList({
      SWITCHYARD_TLS_CA: certs.ca,
      SWITCHYARD_TLS_CERT: certs.clientCert,
      SWITCHYARD_TLS_KEY: certs.clientKey,
    });
    expect(ok.err).toBe("");
    expect(JSON.parse(ok.out)).toEqual([]);

    for (const env of <Record<string, string>[]>[
      { SWITCHYARD_TLS_CA: certs.ca },
      {
        SWITCHYARD_TLS_CA: certs.ca,
        SWITCHYARD_TLS_CERT: certs.strangerCert,
        SWITCHYARD_TLS_KEY: certs.strangerKey,
      },
      {},
    ]) {
      const refused = await agentsList(env);
      expect(refused.code, JSON.stringify(env)).toBe(1);
      expect(refused.err).toContain(`is the admin API running at ${server}?`);
    }
    const half = await agentsList({ SWITCHYARD_TLS_CA: certs.ca, SWITCHYARD_TLS_CERT: certs.clientCert });
    expect(half.code).toBe(2);
    expect(half.err).toContain("needs both SWITCHYARD_TLS_CERT and SWITCHYARD_TLS_KEY");
  });
});
