// The shipped least-privilege template on a real nats-server: the router's credentials can do the
// router's work and nothing else.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Bus,
  connectBus,
  deadLetterStreamSpec,
  defaultPasswordVariable,
  eventsStreamSpec,
  type NatsRole,
  type NatsServer,
  natsServerConfig,
  natsUser,
  SERVICE_ROLES,
  startNatsServer,
  workQueueStreamSpec,
} from "../src/index.js";
import { natsConnectionOf } from "../src/testing.js";

const PREFIX = "tperm";
const scope = { prefix: PREFIX, gatewayIds: ["default"] };
const ROLES: NatsRole[] = ["admin", ...SERVICE_ROLES];
const password = (role: NatsRole) => `secret-${role}`;
const WORK = ["CALL_INPUTS", "LEG_COMMANDS", "TIMERS", "AGENT_INPUTS"];
const WORK_SUBJECTS: Record<string, string> = {
  CALL_INPUTS: "in.call.>",
  LEG_COMMANDS: "legcmd.>",
  TIMERS: "timer.>",
  AGENT_INPUTS: "in.agent.>",
};
const specs = () => [
  eventsStreamSpec(),
  deadLetterStreamSpec(),
  ...WORK.map((w) => workQueueStreamSpec(w, [WORK_SUBJECTS[w]!])),
];

let nats: NatsServer;
let admin: Bus;
let router: Bus;

beforeAll(async () => {
  nats = await startNatsServer({
    config: (listen, storeDir) => natsServerConfig({ ...scope, listen, storeDir, syncAlways: false }),
    env: Object.fromEntries(ROLES.map((r) => [defaultPasswordVariable(r), password(r)])),
  });
  admin = await connectBus({ url: nats.url(natsUser("admin"), password("admin")), prefix: PREFIX });
  // The set-up step (switchyard setup): streams and buckets, with admin rights.
  await admin.ensureStreams(specs());
  await admin.keyValue(`${PREFIX}_presence`);
  router = await connectBus({ url: nats.url(natsUser("router"), password("router")), prefix: PREFIX });
});

afterAll(async () => {
  await router?.close();
  await admin?.close();
  await nats?.stop();
});

const violation = /permission|authorization/i;

describe("least-privilege NATS (the router's credentials)", () => {
  it("connects only with its password", async () => {
    await expect(
      connectBus({ url: nats.url(natsUser("router"), "wrong"), prefix: PREFIX, connectTimeoutMs: 1000 }),
    ).rejects.toThrow(/authorization/i);
  });

  it("checks the streams that exist, and consumes and publishes its own subjects", async () => {
    await router.ensureStreams(specs());
    await router.ensureConsumer({ stream: "CALL_INPUTS", durable: "router", ackWaitMs: 5000, maxDeliver: 5 });
    const ack = await router.publish("legcmd.default", { hello: 1 }, { msgId: "m1" });
    expect(ack.seq).toBeGreaterThan(0);
    const presence = await router.keyValue(`${PREFIX}_presence`);
    expect(await presence.get("nobody")).toBeUndefined();
  });

  it("cannot delete, purge, create or change a stream", async () => {
    const jsm = await natsConnectionOf(router).jetstreamManager();
    await expect(jsm.streams.delete(`${PREFIX.toUpperCase()}-EVENTS`)).rejects.toThrow(violation);
    await expect(jsm.streams.purge(`${PREFIX.toUpperCase()}-CALL_INPUTS`)).rejects.toThrow(violation);
    await expect(router.ensureStreams([workQueueStreamSpec("NEWSTREAM", ["new.>"])])).rejects.toThrow(
      violation,
    );
  });

  it("cannot publish another service's subjects or write the presence view", async () => {
    await expect(router.publish("evt.call.x", { forged: true }, { msgId: "m2" })).rejects.toThrow(violation);
    const presence = await router.keyValue<{ n: number }>(`${PREFIX}_presence`);
    await expect(presence.put("agent", { n: 1 })).rejects.toThrow(violation);
    // The server logs each refusal (the e2e run with per-service users asserts there is none).
    expect(nats.violations().some((l) => l.includes(`${PREFIX}.evt.call.x`))).toBe(true);
  });

  it("cannot take another service's consumer", async () => {
    await expect(
      router.ensureConsumer({
        stream: "LEG_COMMANDS",
        durable: "media-gateway-default",
        ackWaitMs: 5000,
        maxDeliver: 5,
      }),
    ).rejects.toThrow(violation);
  });
});
