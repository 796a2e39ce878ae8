// The SIP edge is closed until it is configured: a driver with neither trunks nor phones refuses every
// inbound INVITE (403) and says so at start; `allowAnySource` (a lab) accepts them. Real drachtio-server and
// FreeSWITCH, sipp callers.
import { join } from "node:path";
import { scaledClock } from "@switchyard/clock";
import { DrachtioDriver, type DriverEvent } from "@switchyard/media-gateway";
import { afterEach, describe, expect, it } from "vitest";
import {
  driverEndpoints,
  skipSip,
  startSippCallers,
  startTelephony,
  type Telephony,
} from "../sip/rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp"]);

describe.skipIf(skip)("a SIP edge with no trunks and no phones", () => {
  let tel: Telephony | undefined;
  let driver: DrachtioDriver | undefined;

  afterEach(async () => {
    await driver?.close();
    await tel?.stop();
    driver = undefined;
    tel = undefined;
  });

  async function start(allowAnySource: boolean) {
    tel = await startTelephony({ name: allowAnySource ? "open-edge" : "closed-edge" });
    const logged: Array<{ level: string; message: string }> = [];
    const events: DriverEvent[] = [];
    driver = new DrachtioDriver({
      clock: scaledClock({ speed: 1 }),
      ...driverEndpoints(tel),
      allowAnySource,
      mediaDir: join(tel.dir, "media"),
      log: (level, message) => logged.push({ level, message }),
    });
    driver.onEvent((e) => events.push(e));
    await driver.start();
    const callers = await startSippCallers({
      dir: tel.dir,
      name: "caller",
      target: { host: "127.0.0.1", port: tel.drachtio.sipPort },
      service: "+18005550100",
      plan: { holdMs: 500, fromUser: "+442079460000" },
      calls: 1,
      timeoutSec: 30,
      events: false,
    });
    const run = await callers.done;
    const finals = (run.messages?.() ?? [])
      .filter((m) => m.direction === "received" && m.cseqMethod === "INVITE" && m.status >= 200)
      .map((m) => m.status);
    return { logged, events, finals };
  }

  it("refuses every inbound INVITE with 403 and says so at start", async () => {
    const { logged, events, finals } = await start(false);
    expect(finals).toEqual([403]);
    expect(events.filter((e) => e.type === "inboundCall")).toEqual([]);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: "error",
        message: expect.stringMatching(/every inbound INVITE is refused/),
      }),
    );
  });

  it("accepts them from any source with allowAnySource (a lab), warning at start", async () => {
    const { logged, events, finals } = await start(true);
    expect(finals).toEqual([200]);
    expect(events.filter((e) => e.type === "inboundCall")).toHaveLength(1);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringMatching(/accepted from any source/) }),
    );
  });
});
