// The platform with least-privilege NATS: a private nats-server configured by `switchyard nats-config`,
// streams and buckets made by `switchyard setup` with the admin user, then router, agent-presence, relay and
// a media gateway (simulated phones) each as its own `switchyard run` process with its own user. A call is
// routed to an agent end to end, and the server logs no permission violation. The admin API's role is
// exercised by this test publishing with the admin-api user (sign-in, hang-up), not by its process.
import { type ChildProcess, spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import {
  type Bus,
  connectBus,
  defaultPasswordVariable,
  type NatsRole,
  type NatsServer,
  natsUser,
  SERVICE_ROLES,
  startNatsServer,
} from "@switchyard/bus";
import { appendContactCentre, parseContactCentre } from "@switchyard/contact-centre";
import {
  type AgentInputMessage,
  agentInputSubject,
  type CallInputMessage,
  callInputSubject,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
} from "@switchyard/contracts";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { callStreamId } from "@switchyard/routing-domain";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REPO_ROOT, SWITCHYARD_BIN, spawnSwitchyard } from "../support/switchyard-process.js";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const id = randomBytes(4).toString("hex");
const PREFIX = `tlp${id}`;
const SCHEMA = `least_priv_${id}`;
const ROLES: NatsRole[] = ["admin", ...SERVICE_ROLES];
const password = (role: NatsRole) => `pw-${role}-${id}`;
const NUMBER = "+14155550100";

const CENTRE = `
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
`;

let nats: NatsServer;
let es: OpenedEventStore;
const children: ChildProcess[] = [];
const output: string[] = [];
const buses: Bus[] = [];

function cli(
  args: string[],
  env: Record<string, string>,
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SWITCHYARD_BIN, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function serviceEnv(role: NatsRole): Record<string, string> {
  return {
    NATS_URL: nats.url(natsUser(role), password(role)),
    DATABASE_URL,
    DATABASE_SCHEMA: SCHEMA,
    SWITCHYARD_PREFIX: PREFIX,
    SWITCHYARD_LOG_FORMAT: "json",
  };
}

function startService(target: string, role: NatsRole): Promise<void> {
  const service = spawnSwitchyard(
    ["run", "--target", target],
    serviceEnv(role),
    (line) => line.includes("switchyard: up"),
    (line) => output.push(`${target}: ${line}`),
  );
  children.push(service.proc);
  return service.ready;
}

async function as(role: NatsRole): Promise<Bus> {
  const bus = await connectBus({ url: nats.url(natsUser(role), password(role)), prefix: PREFIX });
  buses.push(bus);
  return bus;
}

async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}\n${output.slice(-40).join("\n")}`);
}

beforeAll(async () => {
  const passwords = Object.fromEntries(ROLES.map((r) => [defaultPasswordVariable(r), password(r)]));
  nats = await startNatsServer({
    config: (listen, storeDir) => {
      const r = cli(
        ["nats-config", "--prefix", PREFIX, "--listen", listen, "--store-dir", storeDir, "--no-sync-always"],
        {},
      );
      if (r.status !== 0) throw new Error(`nats-config failed: ${r.stderr}`);
      return r.stdout;
    },
    env: passwords,
  });
  const setup = cli(["setup"], {
    NATS_URL: nats.url(natsUser("admin"), password("admin")),
    SWITCHYARD_PREFIX: PREFIX,
  });
  expect(setup.status, setup.stderr).toBe(0);
  expect(setup.stdout).toContain(`key-value bucket ${PREFIX}_gw_default: ready`);
  es = await openEventStore({ url: DATABASE_URL, schema: SCHEMA });
  await appendContactCentre(es.store, parseContactCentre(CENTRE, "centre.yaml"));
  await Promise.all([
    startService("relay", "relay"),
    startService("agent-presence", "agent-presence"),
    startService("router", "router"),
    startService("media-gateway", "media-gateway"),
  ]);
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : undefined)),
  );
  await Promise.all(buses.map((b) => b.close()));
  await es?.close();
  await dropSchema(DATABASE_URL, SCHEMA);
  await nats?.stop();
});

it("routes a call to an agent with every service on its own least-privilege user", async () => {
  const adminApi = await as("admin-api");
  const signIn: AgentInputMessage = {
    messageId: randomUUID(),
    agentId: "ana",
    input: { type: "SignIn" },
    at: Date.now(),
  };
  await adminApi.publish(agentInputSubject("ana"), signIn, { msgId: signIn.messageId });
  const kv = await (await as("admin")).keyValue<PresenceRecord>(presenceBucket(PREFIX));
  await eventually(
    async () => ((await kv.get(presenceKey("ana")))?.value.state.status === "available" ? true : undefined),
    "ana available",
  );

  // The inbound call fact a gateway publishes (its user may publish call inputs).
  const gateway = await as("media-gateway");
  const callId = randomUUID();
  const start: CallInputMessage = {
    messageId: randomUUID(),
    callId,
    gatewayId: "default",
    input: { type: "StartCall", callId, from: "+14155550999", to: NUMBER },
    at: Date.now(),
  };
  await gateway.publish(callInputSubject(callId), start, { msgId: start.messageId });
  const types = async () => (await es.store.readStream(callStreamId(callId))).map((e) => e.type);
  // The gateway process rang Ana's (simulated) phone, which answered; the router decided on that fact.
  await eventually(
    async () => ((await types()).includes("LegAnswered") ? true : undefined),
    "the agent leg answered",
  );
  await eventually(
    async () => ((await kv.get(presenceKey("ana")))?.value.state.status === "onCall" ? true : undefined),
    "ana on the call in the presence view",
  );

  const hangUp: CallInputMessage = {
    messageId: randomUUID(),
    callId,
    input: { type: "HangUp", reason: "admin" },
    at: Date.now(),
  };
  await adminApi.publish(callInputSubject(callId), hangUp, { msgId: hangUp.messageId });
  await eventually(async () => ((await types()).includes("CallEnded") ? true : undefined), "the call ended");

  expect(nats.violations()).toEqual([]);
  expect(output.filter((l) => /permission|authorization/i.test(l))).toEqual([]);
});
