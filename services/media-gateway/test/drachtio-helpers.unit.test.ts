import { describe, expect, it } from "vitest";
import {
  callerIdUri,
  checkDtmfCodes,
  contactUri,
  DEFAULT_DTMF_TRANSFER_CODES,
  DtmfCodeMatcher,
  dtmfFromInfo,
  InvalidDtmfCodesError,
  InvalidTrunkSourceError,
  legEndForStatus,
  NoOutboundGatewayError,
  plainRtpOffer,
  TrunkMatcher,
  uriUser,
} from "../src/drachtio/index.js";
import { resolveTransferTarget } from "../src/service.js";

describe("drachtio driver helpers", () => {
  it("maps final responses to leg end reasons", () => {
    expect([486, 600, 603].map(legEndForStatus)).toEqual(["busy", "busy", "busy"]);
    expect([408, 480, 487].map(legEndForStatus)).toEqual(["noAnswer", "noAnswer", "noAnswer"]);
    expect([403, 404, 488, 500, 503, 604].map(legEndForStatus)).toEqual(Array(6).fill("failed"));
  });

  it("matches trunks by source CIDR, first match wins, and rejects malformed sources", () => {
    const m = new TrunkMatcher([
      { name: "a", sources: ["10.0.0.0/8", "192.0.2.1"] },
      { name: "b", sources: ["10.1.0.0/16", "::1/128"] },
    ]);
    expect(m.match("10.1.2.3")).toBe("a");
    expect(m.match("192.0.2.1")).toBe("a");
    expect(m.match("192.0.2.2")).toBeUndefined();
    expect(m.match("::1")).toBe("b");
    expect(() => new TrunkMatcher([{ name: "x", sources: ["nope/8"] }])).toThrow(InvalidTrunkSourceError);
  });

  it("builds request URIs and caller-id URIs", () => {
    expect(contactUri({ kind: "sip", uri: "sip:ann@pbx" }, undefined)).toBe("sip:ann@pbx");
    expect(contactUri({ kind: "sip", uri: "ann@pbx" }, undefined)).toBe("sip:ann@pbx");
    expect(contactUri({ kind: "phone", number: "+15550100" }, "gw:5060")).toBe("sip:+15550100@gw:5060");
    expect(() => contactUri({ kind: "phone", number: "+1555" }, undefined)).toThrow(NoOutboundGatewayError);
    expect(callerIdUri("+442071234567", "example.com")).toBe("sip:+442071234567@example.com");
    expect(callerIdUri("sip:desk@example.com", "x")).toBe("sip:desk@example.com");
    expect(uriUser("<sip:+4420@host;user=phone>")).toBe("+4420");
    expect(uriUser("sip:200@10.0.0.1:5060")).toBe("200");
    expect(uriUser("anonymous")).toBe("anonymous");
  });

  it("reads SIP INFO DTMF bodies", () => {
    expect(dtmfFromInfo("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n")).toBe("5");
    expect(dtmfFromInfo("application/dtmf-relay", "Signal= *\r\n")).toBe("*");
    expect(dtmfFromInfo("application/dtmf", "#")).toBe("#");
    expect(dtmfFromInfo("text/plain", "Signal=5")).toBeUndefined();
  });

  it("DTMF transfer codes: start + target + terminator, complete, cancel; noise in between is dropped", () => {
    const m = new DtmfCodeMatcher(DEFAULT_DTMF_TRANSFER_CODES);
    const feed = (digits: string) => [...digits].map((d) => m.push(d)).filter((a) => a !== undefined);
    expect(feed("5*2201#")).toEqual([{ action: "start", target: "201" }]);
    expect(feed("1*3")).toEqual([{ action: "complete" }]);
    expect(feed("**4")).toEqual([{ action: "cancel" }]);
    expect(feed("*2#")).toEqual([]);
    expect(feed("*9*3")).toEqual([{ action: "complete" }]);
    // A pause longer than the inter-digit time starts over.
    const timed = new DtmfCodeMatcher(DEFAULT_DTMF_TRANSFER_CODES, 5_000);
    expect(timed.push("*", 0)).toBeUndefined();
    expect(timed.push("3", 60_000)).toBeUndefined();
    expect(timed.push("*", 61_000)).toBeUndefined();
    expect(timed.push("3", 62_000)).toEqual({ action: "complete" });
    expect(() => checkDtmfCodes({ ...DEFAULT_DTMF_TRANSFER_CODES, complete: "*2" })).toThrow(
      InvalidDtmfCodesError,
    );
    expect(() => checkDtmfCodes({ ...DEFAULT_DTMF_TRANSFER_CODES, cancel: "*" })).toThrow(/prefix/);
    expect(() => checkDtmfCodes({ ...DEFAULT_DTMF_TRANSFER_CODES, terminator: "##" })).toThrow(
      InvalidDtmfCodesError,
    );
  });

  it("offers plain RTP only when FreeSWITCH offered SRTP and RTP", () => {
    const offer = [
      "v=0",
      "o=FreeSWITCH 1 2 IN IP4 127.0.0.1",
      "s=FreeSWITCH",
      "c=IN IP4 127.0.0.1",
      "t=0 0",
      "m=audio 24410 RTP/SAVP 0 8 101",
      "a=rtpmap:0 PCMU/8000",
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc",
      "m=audio 24410 RTP/AVP 0 8 101",
      "a=rtpmap:0 PCMU/8000",
      "a=sendrecv",
      "",
    ].join("\r\n");
    const plain = plainRtpOffer(offer);
    expect(plain).not.toContain("RTP/SAVP");
    expect(plain).not.toContain("a=crypto");
    expect(plain.match(/^m=/gm)).toHaveLength(1);
    expect(plain).toContain("m=audio 24410 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv");
    const plainOnly = "v=0\r\nm=audio 1 RTP/AVP 0\r\n";
    expect(plainRtpOffer(plainOnly)).toBe(plainOnly);
  });

  it("resolves an agent's transfer target: a configured short code, else a number", () => {
    const codes = { "200": { kind: "group", groupId: "support" } as const };
    expect(resolveTransferTarget("200", codes)).toEqual({ kind: "group", groupId: "support" });
    expect(resolveTransferTarget("15550100", codes)).toEqual({ kind: "number", number: "+15550100" });
    expect(resolveTransferTarget("+15550100")).toEqual({ kind: "number", number: "+15550100" });
  });
});
