// The other drachtio connection mode: drachtio-server connects to the app (outbound connections). The driver
// listens, and serves the HTTP routing handler drachtio-server asks where each new INVITE goes.
import { join } from "node:path";
import { scaledClock } from "@switchyard/clock";
import { DrachtioDriver, type DriverEvent } from "@switchyard/media-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  driverEndpoints,
  freePort,
  type SippAgent,
  skipSip,
  startSippAgent,
  startSippCallers,
  startTelephony,
  type Telephony,
  waitFor,
} from "../sip/rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp"]);

describe.skipIf(skip)("drachtio driver in listen mode (drachtio-server connects to the app)", () => {
  let tel: Telephony;
  let driver: DrachtioDriver;
  let agent: SippAgent;
  const events: DriverEvent[] = [];
  const until = (what: string, check: () => boolean) =>
    waitFor(what, () => (check() ? true : undefined), { tries: 200, everyMs: 100 });

  beforeAll(async () => {
    const appPort = await freePort();
    const routePort = await freePort();
    tel = await startTelephony({
      name: "listen",
      drachtio: { requestHandlerUrl: `http://127.0.0.1:${routePort}/` },
    });
    driver = new DrachtioDriver({
      clock: scaledClock({ speed: 1 }),
      drachtio: {
        mode: "listen",
        host: "127.0.0.1",
        port: appPort,
        secret: tel.drachtio.secret,
        routeHandlerPort: routePort,
      },
      freeswitch: driverEndpoints(tel).freeswitch,
      trunks: [{ name: "loopback", sources: ["127.0.0.0/8"] }],
      mediaDir: join(tel.dir, "media"),
      log: () => {},
    });
    driver.onEvent((e) => events.push(e));
    await driver.start();
    agent = await startSippAgent({
      dir: tel.dir,
      name: "agent",
      behaviour: { kind: "answer", afterMs: 200 },
      maxSec: 120,
    });
  });

  afterAll(async () => {
    await driver?.close();
    await agent?.stop().catch(() => undefined);
    await tel?.stop();
  });

  it("an inbound call arrives over drachtio-server's connection; the agent leg is placed on it; BYE both ways", async () => {
    expect(driver.describe()).toContain("listens for drachtio-server");
    const caller = await startSippCallers({
      dir: tel.dir,
      name: "caller",
      target: { host: "127.0.0.1", port: tel.drachtio.sipPort },
      service: "+18005550100",
      plan: { holdMs: 60_000, fromUser: "+442079460000" },
      calls: 1,
      timeoutSec: 90,
    });
    await until("inbound call", () => events.some((e) => e.type === "inboundCall"));
    const inbound = events.find((e) => e.type === "inboundCall");
    expect(inbound).toMatchObject({ from: "+442079460000", to: "+18005550100" });
    await driver.originate({
      channelId: "agent-leg",
      to: { kind: "sip", uri: agent.uri() },
      callerId: "+1555",
      timeoutSec: 10,
    });
    await until("agent answered", () =>
      events.some((e) => e.type === "answered" && e.channelId === "agent-leg"),
    );
    await driver.bridge(inbound!.channelId, "agent-leg");
    await driver.hangup("agent-leg", "done");
    await driver.hangup(inbound!.channelId, "done");
    await until("agent got BYE", () => agent.events().some((e) => e.event === "bye-received"));
    const result = await caller.done;
    expect(result.events.map((e) => e.event)).toContain("bye-received");
    expect(
      events
        .filter((e) => e.type === "ended")
        .map((e) => e.channelId)
        .sort(),
    ).toEqual(["agent-leg", inbound!.channelId].sort());
  });
});
