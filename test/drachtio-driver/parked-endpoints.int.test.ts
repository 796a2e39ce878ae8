// Parked FreeSWITCH endpoints driven over one event-socket connection (the drachtio driver's default), on the
// rig's real drachtio-server and FreeSWITCH: creation for an offer and for 3pcc, applications completing,
// DTMF and playback events dispatched to their endpoint, bridge and unbridge, both ways of ending, and a
// FreeSWITCH whose dialplan lacks the extension.
/// <reference path="../../services/media-gateway/src/drachtio/fsmrf.d.ts" />
import {
  EndpointGoneError,
  EndpointNotParkedError,
  EventSocketLostError,
  type ParkedEndpoint,
  ParkedEndpoints,
} from "@switchyard/media-gateway";
import type Mrf from "drachtio-fsmrf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectMedia,
  type MediaConnection,
  silentPhoneOffer,
  skipSip,
  sleep,
  startTelephony,
  type Telephony,
  waitFor,
} from "../sip/rig/index.js";

const skip = skipSip(["drachtio", "freeswitch"]);

const offer = silentPhoneOffer;

describe.skipIf(skip)("parked FreeSWITCH endpoints over one event socket", () => {
  let tel: Telephony;
  let media: MediaConnection;
  let ms: Mrf.MediaServer;
  let parked: ParkedEndpoints;
  const exists = async (uuid: string) => (await ms.api(`uuid_exists ${uuid}`)).trim() === "true";

  beforeAll(async () => {
    tel = await startTelephony({ name: "parked", freeswitch: { rtpPorts: 200, logLevel: "warning" } });
    media = await connectMedia(tel);
    ms = media.ms;
    parked = new ParkedEndpoints(media.srf, ms);
    await parked.ready();
  }, 60_000);

  afterAll(async () => {
    parked?.close();
    media?.close();
    await tel?.stop();
  });

  it("answers a phone's offer: the channel is up, FreeSWITCH's answer is the endpoint's SDP", async () => {
    const ep = await parked.create({ remoteSdp: offer(41_000) });
    expect(await exists(ep.uuid)).toBe(true);
    expect(ep.local.sdp).toMatch(/^m=audio \d+ RTP\/AVP 0/m);
    expect((await ms.api(`uuid_getvar ${ep.uuid} remote_media_port`)).trim()).toBe("41000");
    await ep.destroy();
    await waitFor("the channel gone", async () => ((await exists(ep.uuid)) ? undefined : true));
  });

  it("3pcc: FreeSWITCH offers, and takes the phone's answer through modify", async () => {
    const ep = await parked.create();
    expect(ep.local.sdp).toMatch(/^m=audio \d+ RTP\/AVP/m);
    const answer = await ep.modify(offer(41_010));
    expect(answer).toMatch(/^m=audio \d+ RTP\/AVP 0/m);
    expect((await ms.api(`uuid_getvar ${ep.uuid} remote_media_port`)).trim()).toBe("41010");
    await ep.destroy();
  });

  it("plays to the end (PLAYBACK_START dispatched to it, not to another endpoint) and records", async () => {
    const [a, b] = [
      await parked.create({ remoteSdp: offer(41_020) }),
      await parked.create({ remoteSdp: offer(41_030) }),
    ];
    const started: string[] = [];
    a.on("playback-start", () => started.push("a"));
    b.on("playback-start", () => started.push("b"));
    const t0 = performance.now();
    const result = await a.play("tone_stream://%(400,0,440)");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(350);
    expect(result).toMatchObject({ playbackMilliseconds: expect.stringMatching(/^\d+$/) });
    expect(started).toEqual(["a"]);
    await expect(a.play("/no/such/file.wav")).rejects.toThrow(/file not found/);
    const path = `${tel.dir}/parked-record.wav`;
    const rec = await b.record(path, { timeLimitSecs: 1 });
    expect(rec).toBeDefined();
    await a.destroy();
    await b.destroy();
  });

  it("DTMF reaches the endpoint it was received on", async () => {
    const [a, b] = [
      await parked.create({ remoteSdp: offer(41_040) }),
      await parked.create({ remoteSdp: offer(41_050) }),
    ];
    const digits: string[] = [];
    a.on("dtmf", ({ dtmf }) => digits.push(`a${dtmf}`));
    b.on("dtmf", ({ dtmf }) => digits.push(`b${dtmf}`));
    await ms.api(`uuid_recv_dtmf ${b.uuid} 7`);
    await waitFor("the digit", async () => (digits.length > 0 ? true : undefined));
    expect(digits).toEqual(["b7"]);
    await a.destroy();
    await b.destroy();
  });

  it("bridges two endpoints and parks them again; channel variables in one command", async () => {
    const [a, b] = [
      await parked.create({ remoteSdp: offer(41_060) }),
      await parked.create({ remoteSdp: offer(41_070) }),
    ];
    // As the drachtio driver sets them on every endpoint (#attachEndpoint): with them on `a` only, `b` could be
    // hung up when the bridge broke before the transfer reached it (seen once in CI).
    for (const ep of [a, b]) await ep.set({ park_after_bridge: "true", hangup_after_bridge: "false" });
    expect((await ms.api(`uuid_getvar ${a.uuid} park_after_bridge`)).trim()).toBe("true");
    await a.bridge(b.uuid);
    await waitFor("bridged", async () =>
      (await ms.api(`uuid_getvar ${a.uuid} signal_bond`)).trim() === b.uuid ? true : undefined,
    );
    await a.unbridge();
    expect(await exists(a.uuid)).toBe(true);
    expect(await exists(b.uuid)).toBe(true);
    await expect(a.bridge("00000000-0000-0000-0000-000000000000")).rejects.toThrow(/uuid_bridge/);
    await a.destroy();
    await b.destroy();
  });

  it("a lost event socket fails what was in flight; after modesl reconnects, endpoints work again", async () => {
    const ep = await parked.create({ remoteSdp: offer(41_090) });
    const playing = ep.play("tone_stream://%(10000,0,440)");
    await sleep(300);
    const conn = (
      ms as unknown as { conn: { socket: { destroy(): void }; once(e: string, f: () => void): void } }
    ).conn;
    const ready = new Promise<void>((resolve) => conn.once("esl::ready", resolve));
    conn.socket.destroy();
    await expect(playing).rejects.toBeInstanceOf(EventSocketLostError);
    await ready;
    // Replies go to their own commands again (modesl's queues were emptied), and the events come back.
    expect(await exists(ep.uuid)).toBe(true);
    const again = await parked.create({ remoteSdp: offer(41_092) });
    await again.play("tone_stream://%(200,0,440)");
    await ep.destroy();
    await again.destroy();
  });

  it("a channel FreeSWITCH ends is reported once (destroy), and nothing more runs on it", async () => {
    const before = parked.size;
    const ep: ParkedEndpoint = await parked.create({ remoteSdp: offer(41_080) });
    let destroyed = 0;
    ep.on("destroy", () => destroyed++);
    await ms.api(`uuid_kill ${ep.uuid}`);
    await waitFor("destroy", async () => (destroyed > 0 ? true : undefined));
    expect(destroyed).toBe(1);
    expect(parked.size).toBe(before);
    await expect(ep.play("tone_stream://%(100,0,440)")).rejects.toBeInstanceOf(EndpointGoneError);
    await ep.destroy();
    expect(destroyed).toBe(1);
  });
});

describe.skipIf(skip)("a FreeSWITCH whose dialplan does not park the gateway's endpoints", () => {
  it("refuses the creation with a reason, and leaves no call behind", async () => {
    const tel = await startTelephony({
      name: "unparked",
      freeswitch: { rtpPorts: 20, logLevel: "warning", parkExtension: false },
    });
    const { srf, ms, close } = await connectMedia(tel);
    try {
      const parked = new ParkedEndpoints(srf, ms, { timeoutMs: 1_500 });
      const err = await parked.create({ remoteSdp: offer(41_100) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EndpointNotParkedError);
      expect(String(err)).toMatch(/X-Switchyard-Endpoint extension/);
      await waitFor("no channel left", async () =>
        (await ms.api("show channels count")).includes("0 total") ? true : undefined,
      );
      parked.close();
    } finally {
      close();
      await tel.stop();
    }
  }, 60_000);
});
