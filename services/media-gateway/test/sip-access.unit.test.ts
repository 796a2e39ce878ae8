import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { neutralSdp, sourceAddress, TrunkMatcher } from "../src/drachtio/signalling.js";
import {
  DigestAuthenticator,
  digestResponse,
  parseDigest,
  SourceLimiter,
} from "../src/drachtio/sip-access.js";

describe("digest response", () => {
  it("matches the published examples of RFC 2617 §3.5 and RFC 7616 §3.9.1", () => {
    // RFC 2617 §3.5 (MD5, qop=auth).
    expect(
      digestResponse({
        algorithm: "MD5",
        username: "Mufasa",
        realm: "testrealm@host.com",
        password: "Circle Of Life",
        method: "GET",
        uri: "/dir/index.html",
        nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        qop: "auth",
        nc: "00000001",
        cnonce: "0a4f113b",
      }),
    ).toBe("6629fae49393a05397450978507c4ef1");
    // RFC 7616 §3.9.1, the same request with SHA-256 and with MD5.
    const rfc7616 = {
      username: "Mufasa",
      realm: "http-auth@example.org",
      password: "Circle of Life",
      method: "GET",
      uri: "/dir/index.html",
      nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
      qop: "auth",
      nc: "00000001",
      cnonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    };
    expect(digestResponse({ ...rfc7616, algorithm: "SHA-256" })).toBe(
      "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    );
    expect(digestResponse({ ...rfc7616, algorithm: "MD5" })).toBe("8ca523f5e9506fed4657c9700eebdbec");
  });

  it("parses quoted and token fields, with escapes", () => {
    expect(
      parseDigest(
        'Digest username="a\\"b", realm="r", nonce="n.1", uri="sip:100@h", response="abc", algorithm=MD5, qop=auth, nc=00000001, cnonce="c"',
      ),
    ).toEqual({
      username: 'a"b',
      realm: "r",
      nonce: "n.1",
      uri: "sip:100@h",
      response: "abc",
      algorithm: "MD5",
      qop: "auth",
      nc: "00000001",
      cnonce: "c",
    });
    expect(parseDigest("Basic dXNlcjpwYXNz")).toBeUndefined();
    expect(parseDigest(undefined)).toBeUndefined();
  });
});

describe("digest authenticator", () => {
  const realm = "calls.example.com";
  const makeAuth = (over: { maxTrackedNonces?: number } = {}) =>
    new DigestAuthenticator({
      realm,
      phones: [{ username: "ann", password: "ann-secret" }],
      nonceKey: Buffer.alloc(32, 7),
      nonceTtlMs: 60_000,
      ...over,
    });
  // Fresh for each test: it remembers the nonce counts that authenticated.
  let auth = makeAuth();
  beforeEach(() => {
    auth = makeAuth();
  });
  const uri = "sip:100@calls.example.com";
  const source = "192.0.2.10";
  const nonceOf = (header: string) => parseDigest(header)!.nonce!;
  const credentials = (
    p: { nonce: string; password?: string; username?: string; uri?: string; nc?: string },
    fields: Record<string, string> = {},
  ) => {
    const response = digestResponse({
      algorithm: "MD5",
      username: p.username ?? "ann",
      realm,
      password: p.password ?? "ann-secret",
      method: "INVITE",
      uri: p.uri ?? uri,
      nonce: p.nonce,
      qop: "auth",
      nc: p.nc ?? "00000001",
      cnonce: "xyz",
    });
    return `Digest username="${p.username ?? "ann"}", realm="${realm}", nonce="${p.nonce}", uri="${p.uri ?? uri}", response="${response}", algorithm=MD5, qop=auth, nc=${p.nc ?? "00000001"}, cnonce="xyz"${Object.entries(
      fields,
    )
      .map(([k, v]) => `, ${k}="${v}"`)
      .join("")}`;
  };
  const verify = (authorization: string | undefined, over: { now?: number; source?: string } = {}) =>
    auth.verify({
      method: "INVITE",
      uri,
      source: over.source ?? source,
      now: over.now ?? 1_000,
      authorization,
    });

  it("given no credentials, challenges with realm, nonce, MD5 and qop=auth", () => {
    expect(verify(undefined)).toEqual({ kind: "challenge" });
    const challenge = auth.challenge(1_000, source);
    expect(parseDigest(challenge)).toMatchObject({ realm, algorithm: "MD5", qop: "auth" });
  });

  it("given the right password on a nonce it issued to this source, accepts the phone", () => {
    const nonce = nonceOf(auth.challenge(1_000, source));
    expect(verify(credentials({ nonce }), { now: 2_000 })).toEqual({ kind: "ok", username: "ann" });
  });

  it("refuses a wrong password, an unknown user, a digest over another URI", () => {
    const nonce = nonceOf(auth.challenge(1_000, source));
    expect(verify(credentials({ nonce, password: "guess" }))).toMatchObject({ why: "response" });
    expect(verify(credentials({ nonce, username: "mallory" }))).toMatchObject({ why: "user" });
    expect(verify(credentials({ nonce, uri: "sip:900@calls.example.com" }))).toMatchObject({ why: "uri" });
  });

  it("challenges afresh, right password or not, over a nonce of another source, forged, or another process's", () => {
    const nonce = nonceOf(auth.challenge(1_000, source));
    expect(verify(credentials({ nonce }), { source: "192.0.2.11" })).toEqual({ kind: "challenge" });
    expect(verify(credentials({ nonce: `${nonce.split(".")[0]}.AAAAAAAAAAAAAAAAAAAAAA` }))).toEqual({
      kind: "challenge",
    });
    // A restarted gateway draws a new key: the phones' outstanding nonces are challenged, not refused.
    const restarted = new DigestAuthenticator({
      realm,
      phones: [{ username: "ann", password: "ann-secret" }],
      nonceKey: Buffer.alloc(32, 8),
    });
    expect(
      restarted.verify({ method: "INVITE", uri, source, now: 2_000, authorization: credentials({ nonce }) }),
    ).toEqual({ kind: "challenge" });
  });

  it("answers an expired nonce with the right password as stale (a new challenge, no password prompt)", () => {
    const nonce = nonceOf(auth.challenge(1_000, source));
    expect(verify(credentials({ nonce }), { now: 61_001 })).toEqual({ kind: "stale" });
    expect(verify(credentials({ nonce, password: "guess" }), { now: 61_001 })).toMatchObject({
      kind: "refused",
    });
  });

  it("a captured INVITE replayed (same nonce, same count) is challenged afresh; the phone's next count is accepted", () => {
    const nonce = nonceOf(auth.challenge(1_000, source));
    const captured = credentials({ nonce });
    expect(verify(captured, { now: 2_000 })).toEqual({ kind: "ok", username: "ann" });
    expect(verify(captured, { now: 3_000 })).toEqual({ kind: "stale" });
    // The phone reusing its nonce for its next INVITE counts up (RFC 7616 §3.3): accepted, and that count
    // cannot be replayed either; an older count cannot come back.
    const next = credentials({ nonce, nc: "00000002" });
    expect(verify(next, { now: 4_000 })).toEqual({ kind: "ok", username: "ann" });
    expect(verify(next, { now: 5_000 })).toEqual({ kind: "stale" });
    expect(verify(captured, { now: 5_000 })).toEqual({ kind: "stale" });
  });

  it("remembers only authenticated nonces, at most maxTrackedNonces (expired ones go first, then the oldest)", () => {
    auth = makeAuth({ maxTrackedNonces: 2 });
    // A flood of wrong passwords stores nothing.
    for (let t = 0; t < 50; t++) {
      const nonce = nonceOf(auth.challenge(1_000 + t, source));
      expect(verify(credentials({ nonce, password: "guess" }), { now: 2_000 })).toMatchObject({
        kind: "refused",
      });
    }
    const [a, b, c] = [10_000, 10_001, 10_002].map((t) => nonceOf(auth.challenge(t, source)));
    for (const n of [a!, b!, c!]) expect(verify(credentials({ nonce: n }), { now: 11_000 }).kind).toBe("ok");
    // Three live nonces over a cap of two: the oldest (a) was forgotten, b and c are still guarded.
    expect(verify(credentials({ nonce: b! }), { now: 12_000 })).toEqual({ kind: "stale" });
    expect(verify(credentials({ nonce: c! }), { now: 12_000 })).toEqual({ kind: "stale" });
    expect(verify(credentials({ nonce: a! }), { now: 12_000 }).kind).toBe("ok");
  });

  it("property: only the configured password, over this nonce and request, is ever accepted", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 59_000 }),
        (pw, age) => {
          auth = makeAuth();
          const nonce = nonceOf(auth.challenge(1_000, source));
          const verdict = verify(credentials({ nonce, password: pw }), { now: 1_000 + age });
          expect(verdict.kind === "ok").toBe(pw === "ann-secret");
        },
      ),
    );
  });
});

describe("trunk matcher", () => {
  it("matches IPv4 and IPv6 addresses and CIDRs, nothing else", () => {
    const m = new TrunkMatcher([
      { name: "v4", sources: ["203.0.113.0/24", "198.51.100.7"] },
      { name: "v6", sources: ["2001:db8::/32", "::1"] },
    ]);
    expect(m.match("203.0.113.200")).toBe("v4");
    expect(m.match("198.51.100.7")).toBe("v4");
    expect(m.match("198.51.100.8")).toBeUndefined();
    expect(m.match("2001:db8:1::5")).toBe("v6");
    expect(m.match("::1")).toBe("v6");
    expect(m.match("2001:db9::1")).toBeUndefined();
    expect(m.match("127.0.0.1")).toBeUndefined();
    // An IPv4 peer as a dual-stack socket reports it.
    expect(m.match("::ffff:203.0.113.9")).toBe("v4");
    expect(m.match("2001:DB8::1")).toBe("v6");
  });
});

describe("source address", () => {
  it("keys an IPv4-mapped IPv6 address as its IPv4 address, IPv6 in lower case", () => {
    expect(sourceAddress("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(sourceAddress("::FFFF:192.0.2.1")).toBe("192.0.2.1");
    expect(sourceAddress("2001:DB8::1")).toBe("2001:db8::1");
    expect(sourceAddress("192.0.2.1")).toBe("192.0.2.1");
  });
});

describe("SDP without the media server's name", () => {
  it("replaces the origin's username and the session name, leaves the rest", () => {
    const sdp =
      "v=0\r\no=FreeSWITCH 1764 1765 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nm=audio 20000 RTP/AVP 0\r\n";
    expect(neutralSdp(sdp)).toBe(
      "v=0\r\no=- 1764 1765 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nm=audio 20000 RTP/AVP 0\r\n",
    );
  });
});

// A run of INVITEs from a few sources, with time moving forward between them, and some calls ending.
const op = fc.record({
  source: fc.constantFrom("192.0.2.1", "192.0.2.2", "2001:db8::3"),
  dtMs: fc.integer({ min: 0, max: 700 }),
  kind: fc.constantFrom("admit", "admit", "admit", "release", "spend"),
});

describe("source limiter", () => {
  it("property: per source, never more than burst + rate × span accepted in any span; never more than maxCalls up", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        (ops, maxCalls, rate) => {
          const limiter = new SourceLimiter({ maxCalls, maxCallsPerSec: rate }, { maxSources: 10 });
          const burst = Math.max(1, rate);
          let now = 0;
          const accepted = new Map<string, number[]>();
          const up = new Map<string, number>();
          for (const o of ops) {
            now += o.dtMs;
            if (o.kind === "release") {
              if ((up.get(o.source) ?? 0) > 0) {
                limiter.release(o.source);
                up.set(o.source, up.get(o.source)! - 1);
              }
              continue;
            }
            const ok =
              o.kind === "spend" ? limiter.spend(o.source, now) : limiter.admit(o.source, now).kind === "ok";
            if (ok) accepted.set(o.source, [...(accepted.get(o.source) ?? []), now]);
            if (ok && o.kind === "admit") up.set(o.source, (up.get(o.source) ?? 0) + 1);
            expect(limiter.active(o.source)).toBe(up.get(o.source) ?? 0);
            expect(limiter.active(o.source)).toBeLessThanOrEqual(maxCalls);
          }
          for (const times of accepted.values())
            for (let i = 0; i < times.length; i++)
              for (let j = i; j < times.length; j++) {
                const inSpan = j - i + 1;
                expect(inSpan).toBeLessThanOrEqual(burst + (rate * (times[j]! - times[i]!)) / 1000 + 1e-9);
              }
        },
      ),
    );
  });

  it("property: a source that waited one token's time with room for a call is admitted", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 100 }),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        (ops, rate) => {
          const limiter = new SourceLimiter({ maxCalls: 1_000, maxCallsPerSec: rate });
          let now = 0;
          for (const o of ops) {
            now += o.dtMs;
            if (o.kind === "admit") limiter.admit(o.source, now);
          }
          expect(limiter.admit("192.0.2.1", now + Math.ceil(1000 / rate)).kind).toBe("ok");
        },
      ),
    );
  });

  it("answers over the rate with a Retry-After of the time to the next token, and over the calls up", () => {
    const limiter = new SourceLimiter({ maxCalls: 2, maxCallsPerSec: 0.5 });
    expect(limiter.admit("a", 0)).toEqual({ kind: "ok" });
    expect(limiter.admit("a", 0)).toEqual({ kind: "overRate", retryAfterSec: 2 });
    expect(limiter.admit("b", 0)).toEqual({ kind: "ok" });
    expect(limiter.admit("a", 2_000)).toEqual({ kind: "ok" });
    expect(limiter.admit("a", 10_000)).toEqual({ kind: "overCalls", retryAfterSec: 5 });
    limiter.release("a");
    expect(limiter.admit("a", 10_000)).toEqual({ kind: "ok" });
  });

  it("holds a key to the limits it is admitted with (a trunk's own), others to the default", () => {
    const carrier = { maxCalls: 100, maxCallsPerSec: 10 };
    const limiter = new SourceLimiter({ maxCalls: 1, maxCallsPerSec: 1 });
    const sbc = Array.from({ length: 12 }, () => limiter.admit("203.0.113.5", 0, carrier).kind);
    expect(sbc.filter((k) => k === "ok")).toHaveLength(10);
    expect(sbc.slice(10)).toEqual(["overRate", "overRate"]);
    expect(limiter.admit("192.0.2.9", 0).kind).toBe("ok");
    expect(limiter.admit("192.0.2.9", 5_000).kind).toBe("overCalls");
    expect(limiter.active("203.0.113.5")).toBe(10);
  });

  it("property: memory stays bounded under a flood of distinct sources; sources with calls up are kept", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 50 })), {
          maxLength: 300,
        }),
        fc.integer({ min: 1, max: 20 }),
        (flood, maxSources) => {
          const limiter = new SourceLimiter({ maxCalls: 1, maxCallsPerSec: 1 }, { maxSources });
          // One source holds a call throughout: it must never be forgotten (its count would restart at 0).
          expect(limiter.admit("198.51.100.1", 0).kind).toBe("ok");
          let now = 0;
          for (const [n, dt] of flood) {
            now += dt;
            const flooder = `10.0.${n >> 8}.${n & 255}`;
            // Its calls end at once: only the one held call is up.
            if (limiter.admit(flooder, now).kind === "ok") limiter.release(flooder);
            expect(limiter.stats().sources).toBeLessThanOrEqual(maxSources + 1);
          }
          expect(limiter.active("198.51.100.1")).toBe(1);
          expect(limiter.admit("198.51.100.1", now + 10_000).kind).toBe("overCalls");
        },
      ),
    );
  });
});
