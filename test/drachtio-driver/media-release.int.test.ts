// `mediaRelease: afterBridge` on real drachtio-server and FreeSWITCH: once a caller and an agent are bridged,
// their phones are re-INVITEd to send RTP to each other and the gateway's FreeSWITCH endpoints end (a bridged
// call then costs FreeSWITCH nothing); the audio still flows both ways, phone to phone; hold music after an
// unbridge gives both legs endpoints again (re-anchoring) and the caller hears it. The phones are FreeSWITCH
// channels themselves (a caller that sends 330 Hz, an agent that sends 660 Hz, each recording what it hears),
// as in drachtio-media.int.test.ts; frequencies by FFT.
import { join } from "node:path";
import { scaledClock } from "@switchyard/clock";
import { DrachtioDriver, type DriverEvent } from "@switchyard/media-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeTimeline,
  driverEndpoints,
  runDir,
  skipSip,
  sleep,
  startTelephony,
  type Telephony,
  timeline,
  waitFor,
} from "../sip/rig/index.js";

const skip = skipSip(["drachtio", "freeswitch", "sox"]);

const HOLD = 440;
const CALLER = 330;
const AGENT = 660;
const TONES = { [HOLD]: "hold music", [CALLER]: "caller", [AGENT]: "agent" };

describe.skipIf(skip)("drachtio driver: media release after the bridge, and re-anchoring", () => {
  let tel: Telephony;
  let driver: DrachtioDriver;
  let rec: string;
  const events: DriverEvent[] = [];
  const until = (what: string, check: () => boolean) =>
    waitFor(what, () => (check() ? true : undefined), { tries: 300, everyMs: 100 });
  const exists = async (uuid: string) => (await tel.freeswitch.api(`uuid_exists ${uuid}`)).includes("true");

  beforeAll(async () => {
    const dir = runDir("media-release");
    rec = join(dir, "recordings");
    const dialplan = `
    <extension name="agent"><condition field="destination_number" expression="^agent-(.+)$">
      <action application="ring_ready"/>
      <action application="sleep" data="500"/>
      <action application="answer"/>
      <action application="set" data="RECORD_READ_ONLY=true"/>
      <action application="record_session" data="${rec}/heard-agent-$1.wav"/>
      <action application="playback" data="tone_stream://%(60000,0,${AGENT})"/>
      <action application="hangup"/>
    </condition></extension>
    <extension name="caller"><condition field="destination_number" expression="^caller-(.+)$">
      <action application="set" data="RECORD_READ_ONLY=true"/>
      <action application="record_session" data="${rec}/heard-caller-$1.wav"/>
      <action application="playback" data="tone_stream://%(60000,0,${CALLER})"/>
      <action application="hangup"/>
    </condition></extension>`;
    tel = await startTelephony({ dir, dialplan });
    driver = new DrachtioDriver({
      clock: scaledClock({ speed: 1 }),
      ...driverEndpoints(tel),
      trunks: [{ name: "loopback", sources: ["127.0.0.0/8"] }],
      mediaDir: join(dir, "media"),
      // FreeSWITCH "phones" on a profile with enable-3pcc answer a late offer at once: offer SDP instead.
      agentOffer: "early",
      mediaRelease: "afterBridge",
      mediaReleaseDelayMs: 300,
      log: () => {},
    });
    driver.onEvent((e) => events.push(e));
    await driver.start();
  });

  afterAll(async () => {
    await driver?.close();
    await tel?.stop();
  });

  /** The inbound leg, and the FreeSWITCH channel that is the caller's phone. */
  async function callIn(name: string): Promise<{ channelId: string; phoneUuid: string }> {
    const before = events.length;
    const out = await tel.freeswitch.api(
      `originate {origination_caller_id_number=+442079460000,ignore_early_media=true}sofia/drachtio_mrf/sip:+18005550100@127.0.0.1:${tel.drachtio.sipPort} caller-${name} XML public`,
    );
    const phoneUuid = /\+OK ([0-9a-f-]+)/.exec(out)?.[1];
    if (!phoneUuid) throw new Error(`originate failed: ${out}`);
    await until("inbound call", () => events.slice(before).some((e) => e.type === "inboundCall"));
    return { channelId: events.slice(before).find((e) => e.type === "inboundCall")!.channelId, phoneUuid };
  }

  /** The agent extension `agent-<name>` called and answered; resolves with its leg id. */
  async function answeredAgent(name: string): Promise<string> {
    const agent = `agent-leg-${name}`;
    await driver.originate({
      channelId: agent,
      to: { kind: "sip", uri: `sip:agent-${name}@127.0.0.1:${tel.freeswitch.sipPort}` },
      callerId: "+442079460000",
      timeoutSec: 20,
    });
    await until("agent answered", () => events.some((e) => e.type === "answered" && e.channelId === agent));
    return agent;
  }

  async function hangUpBoth(caller: string, agent: string): Promise<void> {
    await driver.hangup(agent, "done");
    await driver.hangup(caller, "done");
    await until("both ended", () =>
      [caller, agent].every((id) => events.some((e) => e.type === "ended" && e.channelId === id)),
    );
    await sleep(500);
  }

  it("bridged phones talk directly with no endpoint on FreeSWITCH; hold music after an unbridge re-anchors both", async () => {
    const { channelId: caller } = await callIn("a");
    await driver.startHoldMusic(caller, { kind: "defaultTone" });
    const agent = await answeredAgent("a");
    const endpoints = [driver.endpointUuid(caller)!, driver.endpointUuid(agent)!];
    expect(endpoints.every((u) => typeof u === "string")).toBe(true);
    await driver.bridge(caller, agent);
    const bridgedAt = Date.now();
    await until("media released", () => driver.mediaReleaseStats().released === 1);
    // The gateway's endpoints are gone from FreeSWITCH; both legs are still up.
    expect(driver.endpointUuid(caller)).toBeUndefined();
    expect(driver.endpointUuid(agent)).toBeUndefined();
    await waitFor(
      "the endpoints' FreeSWITCH channels ended",
      async () => ((await Promise.all(endpoints.map(exists))).some(Boolean) ? undefined : true),
      { tries: 50, everyMs: 100 },
    );
    expect(driver.channelExists(caller) && driver.channelExists(agent)).toBe(true);
    const releasedAfterMs = Date.now() - bridgedAt;
    await sleep(2500);
    // A warm transfer's first step: the caller is unbridged and hears hold music; both legs get endpoints again.
    await driver.unbridge(caller, agent);
    await driver.startHoldMusic(caller, { kind: "defaultTone" });
    await until("re-anchored", () => driver.mediaReleaseStats().reanchored === 2);
    expect(driver.endpointUuid(caller)).toBeDefined();
    expect(driver.endpointUuid(agent)).toBeDefined();
    await sleep(2500);
    await hangUpBoth(caller, agent);
    expect(driver.mediaReleaseStats()).toMatchObject({ released: 1, reanchored: 2, refused: 0 });

    const callerHeard = timeline(join(rec, "heard-caller-a.wav"), TONES);
    const agentHeard = timeline(join(rec, "heard-agent-a.wav"), TONES);
    const report = `released ${releasedAfterMs} ms after the bridge; caller heard: ${describeTimeline(callerHeard)}; agent heard: ${describeTimeline(agentHeard)}`;
    const runs = (t: typeof callerHeard, what: string) =>
      t.filter((e) => e.what === what && e.end - e.start >= 0.5);
    // The caller: hold music while the agent rang, then the agent (through FreeSWITCH, then phone to phone:
    // one run, at least the 2.5 s after the release), then hold music again once re-anchored.
    const callerAgent = runs(callerHeard, "agent");
    expect(callerAgent.length, report).toBeGreaterThanOrEqual(1);
    expect(
      callerAgent.reduce((t, e) => t + e.end - e.start, 0),
      report,
    ).toBeGreaterThan(2.2);
    const holds = runs(callerHeard, "hold music");
    expect(holds.length, report).toBe(2);
    expect(holds[0]!.start, report).toBeLessThan(callerAgent[0]!.start);
    expect(holds[1]!.start, report).toBeGreaterThan(callerAgent.at(-1)!.start);
    // The agent: the caller for as long (through FreeSWITCH, then directly), never the hold music.
    const agentCaller = runs(agentHeard, "caller");
    expect(
      agentCaller.reduce((t, e) => t + e.end - e.start, 0),
      report,
    ).toBeGreaterThan(2.2);
    expect(runs(agentHeard, "hold music"), report).toHaveLength(0);
  });

  it("the phone's own re-INVITE (hold) on a released leg re-anchors the pair, bridged again; after the resume the caller hears the agent", async () => {
    const { channelId: caller, phoneUuid } = await callIn("b");
    const agent = await answeredAgent("b");
    const before = driver.mediaReleaseStats();
    await driver.bridge(caller, agent);
    await until("media released", () => driver.mediaReleaseStats().released === before.released + 1);
    expect(driver.endpointUuid(caller)).toBeUndefined();
    // The caller's phone puts the call on hold: its re-INVITE (sendonly) reaches the released leg.
    await tel.freeswitch.api(`uuid_hold ${phoneUuid}`);
    await until(
      "re-anchored by the phone's re-INVITE",
      () => driver.mediaReleaseStats().reanchored === before.reanchored + 2,
    );
    expect(driver.endpointUuid(caller)).toBeDefined();
    expect(driver.endpointUuid(agent)).toBeDefined();
    expect(driver.channelExists(caller) && driver.channelExists(agent)).toBe(true);
    await sleep(1000);
    await tel.freeswitch.api(`uuid_hold off ${phoneUuid}`);
    await sleep(2500);
    await hangUpBoth(caller, agent);
    expect(driver.mediaReleaseStats().refused).toBe(before.refused);
    const callerHeard = timeline(join(rec, "heard-caller-b.wav"), TONES);
    const report = `caller heard: ${describeTimeline(callerHeard)}`;
    console.log(report);
    // Resumed on the re-anchored pair, bridged again on FreeSWITCH: the agent to the end of the call.
    const last = callerHeard.filter((e) => e.what !== "silence").at(-1);
    expect(last?.what, report).toBe("agent");
    expect(last!.end - last!.start, report).toBeGreaterThan(1.5);
  });
});
