// `switchyard run --target media-gateway` with drachtio-server and FreeSWITCH configured by flags runs the
// drachtio driver, says so, and answers a real SIP call (sipp) through drachtio-server.

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectBus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { gatewayStateBucket } from "@switchyard/media-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSippCallers, skipSip, startTelephony, type Telephony } from "../sip/rig/index.js";

const BIN = fileURLToPath(new URL("../../packages/cli/bin/switchyard.mjs", import.meta.url));
const NATS = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const skip = skipSip(["drachtio", "freeswitch", "sipp"]);

describe.skipIf(skip)("switchyard run --target media-gateway with the drachtio driver", () => {
  let tel: Telephony;
  const prefix = `clisip${randomUUID().replaceAll("-", "").slice(0, 8)}`;

  beforeAll(async () => {
    tel = await startTelephony({ name: "run-target" });
  });

  afterAll(async () => {
    const bus = await connectBus({ url: NATS, prefix });
    const jsm = await natsConnectionOf(bus).jetstreamManager();
    await jsm.streams.delete(`KV_${gatewayStateBucket(prefix, "default")}`).catch(() => false);
    await bus.deleteStreams();
    await bus.close();
    await tel?.stop();
  });

  it("says which driver runs and answers a call through drachtio-server", async () => {
    const child = spawn(
      process.execPath,
      [
        BIN,
        "run",
        "--target",
        "media-gateway",
        "--nats-url",
        NATS,
        "--prefix",
        prefix,
        "--drachtio",
        `${tel.drachtio.host}:${tel.drachtio.port}`,
        "--drachtio-secret",
        tel.drachtio.secret,
        "--freeswitch",
        `${tel.freeswitch.address}:${tel.freeswitch.port}`,
        "--freeswitch-password",
        tel.freeswitch.secret,
        "--media-dir",
        join(tel.dir, "media"),
      ],
      // No DATABASE_URL: the event store is an in-memory PGlite, so this test never touches the shared
      // PostgreSQL's schemas.
      { stdio: ["ignore", "pipe", "pipe"], env: withoutDatabase(process.env) },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes("switchyard: up")) resolve();
      });
      void exited.then(() => reject(new Error(`switchyard exited early: ${stdout} ${stderr}`)));
    });
    expect(stdout).toContain("services up: media-gateway");
    expect(stdout).toContain(
      `media-gateway "default" runs the DRACHTIO (SIP) driver: drachtio driver: connects to drachtio-server ${tel.drachtio.host}:${tel.drachtio.port}`,
    );
    const result = await runSippCallers({
      dir: tel.dir,
      name: "caller",
      target: { host: "127.0.0.1", port: tel.drachtio.sipPort },
      service: "+18005550100",
      plan: { holdMs: 500 },
      calls: 2,
      rate: 2,
      timeoutSec: 30,
    });
    expect(result.stats?.successful).toBe(2);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});

function withoutDatabase(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _url, DATABASE_SCHEMA: _schema, ...rest } = env;
  return rest;
}
