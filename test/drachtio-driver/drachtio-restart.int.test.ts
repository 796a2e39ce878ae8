// A gateway process that dies while drachtio-server and FreeSWITCH keep running leaves its phones' dialogs and
// FreeSWITCH channels up (FreeSWITCH does not hang up an endpoint when its event socket closes). The next
// driver process on the same state directory ends them: BYE to each phone, uuid_kill of each endpoint, and
// says none of the old channels exists (the gateway then reports those legs failed). Both ways of driving
// FreeSWITCH endpoints (`freeswitch.control`): parked (the default) and drachtio-fsmrf's outbound sockets, which
// no other test of the suite uses.
import { join } from "node:path";
import { scaledClock } from "@switchyard/clock";
import { DrachtioDriver, type DriverEvent } from "@switchyard/media-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  driverEndpoints,
  type SippAgent,
  skipSip,
  sleep,
  startSippAgent,
  startSippCallers,
  startTelephony,
  type Telephony,
  waitFor,
} from "../sip/rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sipp"]);

describe.skipIf(skip).each(["parked", "outbound"] as const)(
  "drachtio driver (control %s): a killed gateway process's calls are ended by the next one",
  (control) => {
    let tel: Telephony;
    let agent: SippAgent;
    const drivers: DrachtioDriver[] = [];
    const until = (what: string, check: () => boolean | Promise<boolean>) =>
      waitFor(what, async () => ((await check()) ? true : undefined), { tries: 200, everyMs: 100 });

    const newDriver = () => {
      const endpoints = driverEndpoints(tel);
      const d = new DrachtioDriver({
        clock: scaledClock({ speed: 1 }),
        ...endpoints,
        freeswitch: { ...endpoints.freeswitch, control },
        trunks: [{ name: "loopback", sources: ["127.0.0.0/8"] }],
        mediaDir: join(tel.dir, "media"),
        log: () => {},
      });
      drivers.push(d);
      return d;
    };
    const channels = async () =>
      Number(/(\d+) total/.exec(await tel.freeswitch.api("show channels count"))?.[1] ?? "-1");

    beforeAll(async () => {
      tel = await startTelephony({ name: `restart-${control}` });
      agent = await startSippAgent({
        dir: tel.dir,
        name: "agent",
        behaviour: { kind: "answer", afterMs: 100 },
        maxSec: 120,
      });
    });

    afterAll(async () => {
      for (const d of drivers) await d.close().catch(() => undefined);
      await agent?.stop().catch(() => undefined);
      await tel?.stop();
    });

    it("BYEs the phones and kills the endpoints the dead process left; none of its channels exists", async () => {
      const first = newDriver();
      const events: DriverEvent[] = [];
      first.onEvent((e) => events.push(e));
      await first.start();
      const caller = await startSippCallers({
        dir: tel.dir,
        name: "caller",
        target: { host: "127.0.0.1", port: tel.drachtio.sipPort },
        service: "+18005550100",
        plan: { holdMs: 60_000 },
        calls: 1,
        timeoutSec: 90,
      });
      await until("inbound call", () => events.some((e) => e.type === "inboundCall"));
      const inbound = events.find((e) => e.type === "inboundCall")!.channelId;
      await first.originate({
        channelId: "agent-leg",
        to: { kind: "sip", uri: agent.uri() },
        callerId: "+1555",
        timeoutSec: 10,
      });
      await until("agent answered", () => events.some((e) => e.type === "answered"));
      await first.bridge(inbound, "agent-leg");
      // FreeSWITCH's channel list catches up with the late-offer agent endpoint a moment after its answer.
      await until("both channels listed", async () => (await channels()) === 2);

      // The process dies: its connections drop, nothing is hung up.
      first.detach();
      await sleep(2000);
      expect(await channels()).toBe(2);
      expect(agent.events().map((e) => e.event)).not.toContain("bye-received");
      expect(caller.events().map((e) => e.event)).not.toContain("bye-received");

      const second = newDriver();
      await second.start();
      expect(second.orphans()).toEqual({ found: 2, byesSent: 2, channelsKilled: 2 });
      expect(second.channelExists(inbound)).toBe(false);
      expect(second.channelExists("agent-leg")).toBe(false);
      await until("agent got BYE", () => agent.events().some((e) => e.event === "bye-received"));
      const result = await caller.done;
      expect(result.events.map((e) => e.event)).toContain("bye-received");
      await until("no FreeSWITCH channel left", async () => (await channels()) === 0);
    });
  },
);
