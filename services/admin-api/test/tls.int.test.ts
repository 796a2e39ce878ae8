// TLS and mutual TLS with real certificates: the test makes a CA, a server certificate (for 127.0.0.1) and
// client certificates with openssl in a temporary directory, starts the admin API from an `admin.tls`
// section read by the service's own settings loader, and connects generated clients with and without
// them. A client that trusts the CA gets its answer; one that does not, or that speaks plaintext, does
// not get in; with mutual TLS on, a client without a certificate (or with one from another CA) is refused.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChannelCredentials, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { Agent, AgentServiceClient } from "@switchyard/admin-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminApi, authenticator, hashToken, loadAdminSettings, start } from "../src/index.js";
import { call, type Harness, startHarness } from "./harness.js";

const TOKEN = "sy_tls-test-token";
let dir: string;
let h: Harness;
const apis: AdminApi[] = [];

/** openssl in the temporary directory; throws (with openssl's stderr) when it fails. */
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });

/** An EC key and a certificate for `cn`, signed by the CA `ca` (its ca.pem/ca.key), with extensions. */
function issue(name: string, cn: string, ca: string, extensions: string): void {
  openssl(
    ..."req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes".split(" "),
    ...["-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`],
  );
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(
    ...["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`],
    ...["-CAcreateserial", "-days", "2", "-out", `${name}.pem`, "-extfile", `${name}.ext`],
  );
}

function makeCa(name: string): void {
  openssl(
    ..."req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2".split(" "),
    ...["-keyout", `${name}.key`, "-out", `${name}.pem`, "-subj", `/CN=${name}`],
    ...["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  );
}

const file = (name: string) => readFileSync(join(dir, name));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "switchyard-tls-"));
  makeCa("ca");
  makeCa("stranger-ca");
  issue(
    "server",
    "localhost",
    "ca",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  issue("client", "ops", "ca", "extendedKeyUsage=clientAuth\n");
  issue("stranger", "ops", "stranger-ca", "extendedKeyUsage=clientAuth\n");
  h = await startHarness("tls", { presence: false });
  await call(h.agents, h.agents.createAgent, {
    agentId: "ann",
    agent: Agent.fromPartial({ displayName: "Ann", phoneNumber: "+15550100" }),
  });
});

afterAll(async () => {
  for (const api of apis) await api[Symbol.asyncDispose]();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The admin API as `run --target admin-api` would start it from this `admin.tls` section. */
async function serve(tls: Record<string, string>): Promise<{ api: AdminApi; describe: string[] }> {
  const settings = loadAdminSettings({
    document: {
      admin: { tls, tokens: [{ name: "ops", role: "admin", sha256: hashToken(TOKEN) }] },
    },
    flags: {},
    env: {},
  });
  const api = await start({
    eventStore: h.eventStore,
    bus: h.bus,
    authenticate: authenticator(settings.auth),
    credentials: settings.credentials,
  });
  apis.push(api);
  return { api, describe: settings.describe(api.target) };
}

/** ListAgents over `creds`: the agent names, or the status code it failed with. */
async function listOver(target: string, creds: ChannelCredentials): Promise<string[] | number> {
  // The certificate's name, not the address: Node will not send an IP address as the TLS server name.
  const client = new AgentServiceClient(target, creds, { "grpc.ssl_target_name_override": "localhost" });
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${TOKEN}`);
  try {
    const page = await call(
      client,
      client.listAgents,
      { pageSize: 10, pageToken: "", filter: "" },
      metadata,
      {
        deadline: new Date(Date.now() + 10_000),
      },
    );
    return page.agents.map((a) => a.name);
  } catch (error) {
    return (error as ServiceError).code;
  } finally {
    client.close();
  }
}

describe("TLS", () => {
  it("serves a client that trusts the CA, and no client that does not or that speaks plaintext", async () => {
    const { api, describe: said } = await serve({
      cert: join(dir, "server.pem"),
      key: join(dir, "server.key"),
    });
    expect(said[0]).toContain(", TLS, 1 token");
    expect(await listOver(api.target, credentials.createSsl(file("ca.pem")))).toEqual(["agents/ann"]);
    // System roots only: the test CA is unknown, so the server's certificate is not trusted.
    expect(await listOver(api.target, credentials.createSsl())).toBe(status.UNAVAILABLE);
    expect(await listOver(api.target, credentials.createSsl(file("stranger-ca.pem")))).toBe(
      status.UNAVAILABLE,
    );
    expect(await listOver(api.target, credentials.createInsecure())).toBe(status.UNAVAILABLE);
  });

  it("with mutual TLS, refuses a client without a certificate or with one from another CA", async () => {
    const { api, describe: said } = await serve({
      cert: join(dir, "server.pem"),
      key: join(dir, "server.key"),
      clientCa: join(dir, "ca.pem"),
    });
    expect(said[0]).toContain("mutual TLS (client certificates required)");
    const ca = file("ca.pem");
    expect(
      await listOver(api.target, credentials.createSsl(ca, file("client.key"), file("client.pem"))),
    ).toEqual(["agents/ann"]);
    // The same credentials that the TLS-only server accepted above.
    expect(await listOver(api.target, credentials.createSsl(ca))).toBe(status.UNAVAILABLE);
    expect(
      await listOver(api.target, credentials.createSsl(ca, file("stranger.key"), file("stranger.pem"))),
    ).toBe(status.UNAVAILABLE);
  });
});
