// SIP edge access control: which INVITEs may become calls (trunk source addresses, or agent phones proving a
// password with SIP digest), and how many per source. Pure apart from node:crypto: time comes in as `now`
// (platform clock, ms) on every call, the nonce key is given by the driver.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** An agent phone allowed to call in when its INVITE carries a valid digest for this username/password. */
export interface SipPhoneCredential {
  readonly username: string;
  readonly password: string;
}

export type DigestAlgorithm = "MD5" | "SHA-256";

/** The `Authorization` / `Proxy-Authorization` header's fields (RFC 7616 §3.4), lower-cased names. */
export type DigestFields = Readonly<Record<string, string>>;

/** `Digest a="b", c=d` → {a: "b", c: "d"}; undefined when the header is not a Digest credential. */
export function parseDigest(header: string | undefined): DigestFields | undefined {
  if (!header) return undefined;
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  // name=token or name="quoted string" (with \" escapes), comma separated.
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  const rest = m[1]!;
  let match: RegExpExecArray | null = re.exec(rest);
  while (match !== null) {
    const name = match[1]!.toLowerCase();
    fields[name] = match[2] !== undefined ? match[2].replace(/\\(.)/g, "$1") : (match[3] ?? "");
    if (re.lastIndex >= rest.length) break;
    match = re.exec(rest);
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

const hashOf = (algorithm: DigestAlgorithm, text: string): string =>
  createHash(algorithm === "MD5" ? "md5" : "sha256")
    .update(text)
    .digest("hex");

/**
 * The `response` a client computes (RFC 7616 §3.4.1; RFC 2617 without qop): exported so tests compute what a
 * phone would send, with the same formula as the check.
 */
export function digestResponse(p: {
  algorithm: DigestAlgorithm;
  username: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}): string {
  const ha1 = hashOf(p.algorithm, `${p.username}:${p.realm}:${p.password}`);
  const ha2 = hashOf(p.algorithm, `${p.method}:${p.uri}`);
  return p.qop
    ? hashOf(p.algorithm, `${ha1}:${p.nonce}:${p.nc ?? ""}:${p.cnonce ?? ""}:${p.qop}:${ha2}`)
    : hashOf(p.algorithm, `${ha1}:${p.nonce}:${ha2}`);
}

export type DigestVerdict =
  /**
   * No credentials in the request, for another realm, or over a nonce this process did not give this source
   * (one from before a restart, or another gateway's): challenge it afresh.
   */
  | { readonly kind: "challenge" }
  /** Right password on an expired nonce of ours: challenge again with `stale=true` (no password prompt). */
  | { readonly kind: "stale" }
  /** Credentials over one of our nonces that do not hold (unknown user, wrong password, malformed): refuse. */
  | { readonly kind: "refused"; readonly why: "malformed" | "user" | "response" | "uri" }
  | { readonly kind: "ok"; readonly username: string };

/**
 * SIP digest authentication of INVITEs (RFC 3261 §22, RFC 7616) with stateless nonces: a nonce is the time
 * it was made plus an HMAC over that time and the request's source address, so nothing is stored per
 * challenge (a flood of unauthenticated INVITEs costs no memory) and a nonce is only good from the address it
 * was given to, for `nonceTtlMs`. State is kept only for nonces that authenticated a request: the highest
 * nonce count used with each until it expires, so a captured INVITE replayed from the same address (same
 * nonce, same count) is challenged afresh instead of making a call (RFC 7616 §3.3: counts must increase).
 */
export class DigestAuthenticator {
  readonly #realm: string;
  readonly #algorithm: DigestAlgorithm;
  readonly #users: ReadonlyMap<string, string>;
  readonly #key: Buffer;
  readonly #ttlMs: number;
  /** Nonce → the highest nonce count that authenticated with it and when the nonce expires. */
  readonly #used = new Map<string, { count: number; expiresAt: number }>();
  readonly #maxTracked: number;

  constructor(options: {
    realm: string;
    phones: readonly SipPhoneCredential[];
    /** Secret for nonce HMACs (random per process: a restart only makes outstanding nonces stale). */
    nonceKey: Buffer;
    algorithm?: DigestAlgorithm;
    nonceTtlMs?: number;
    /** Nonces remembered at most (only authenticated ones are; the oldest go first). Default 100,000. */
    maxTrackedNonces?: number;
  }) {
    this.#realm = options.realm;
    this.#algorithm = options.algorithm ?? "MD5";
    this.#users = new Map(options.phones.map((p) => [p.username, p.password]));
    this.#key = options.nonceKey;
    this.#ttlMs = options.nonceTtlMs ?? 300_000;
    this.#maxTracked = options.maxTrackedNonces ?? 100_000;
  }

  get size(): number {
    return this.#users.size;
  }

  #mac(time: string, source: string): string {
    return createHmac("sha256", this.#key).update(`${time}|${source}`).digest("base64url").slice(0, 22);
  }

  nonce(now: number, source: string): string {
    const time = Math.floor(now).toString(36);
    return `${time}.${this.#mac(time, source)}`;
  }

  /** The `WWW-Authenticate` value of a 401 for a request from `source`. */
  challenge(now: number, source: string, stale = false): string {
    return `Digest realm="${this.#realm}", nonce="${this.nonce(now, source)}", algorithm=${this.#algorithm}, qop="auth"${stale ? ", stale=true" : ""}`;
  }

  verify(request: {
    method: string;
    uri: string;
    source: string;
    now: number;
    authorization: string | undefined;
  }): DigestVerdict {
    const f = parseDigest(request.authorization);
    if (!f || f.realm !== this.#realm) return { kind: "challenge" };
    const { username, nonce, uri, response } = f;
    if (!username || !nonce || !uri || !response) return { kind: "refused", why: "malformed" };
    const algorithm = (f.algorithm ?? "MD5").toUpperCase();
    if (algorithm !== this.#algorithm.toUpperCase()) return { kind: "refused", why: "malformed" };
    if (f.qop !== undefined && (f.qop !== "auth" || !f.nc || !f.cnonce))
      return { kind: "refused", why: "malformed" };
    const [time = "", mac = ""] = nonce.split(".");
    const expected = this.#mac(time, request.source);
    if (mac.length !== expected.length || !timingSafeEqual(Buffer.from(mac), Buffer.from(expected)))
      return { kind: "challenge" };
    // The digest must be over this request's Request-URI, or a response for another target could be reused.
    if (uri !== request.uri) return { kind: "refused", why: "uri" };
    const password = this.#users.get(username);
    if (password === undefined) return { kind: "refused", why: "user" };
    const want = digestResponse({
      algorithm: this.#algorithm,
      username,
      realm: this.#realm,
      password,
      method: request.method,
      uri,
      nonce,
      ...(f.qop === undefined ? {} : { qop: f.qop, nc: f.nc!, cnonce: f.cnonce! }),
    });
    const got = response.toLowerCase();
    if (got.length !== want.length || !timingSafeEqual(Buffer.from(got), Buffer.from(want)))
      return { kind: "refused", why: "response" };
    const issuedAt = Number.parseInt(time, 36);
    const age = request.now - issuedAt;
    if (!(age >= 0 && age <= this.#ttlMs)) return { kind: "stale" };
    // Without qop there is no count: such a nonce authenticates one request.
    const count = f.qop === undefined ? 1 : Number.parseInt(f.nc!, 16);
    if (!Number.isFinite(count) || count < 1) return { kind: "refused", why: "malformed" };
    const used = this.#used.get(nonce);
    if (used !== undefined && count <= used.count) return { kind: "stale" };
    this.#remember(nonce, count, issuedAt + this.#ttlMs, request.now);
    return { kind: "ok", username };
  }

  #remember(nonce: string, count: number, expiresAt: number, now: number): void {
    this.#used.delete(nonce);
    this.#used.set(nonce, { count, expiresAt });
    if (this.#used.size <= this.#maxTracked) return;
    for (const [n, u] of this.#used) if (u.expiresAt < now) this.#used.delete(n);
    // Still full of live nonces: forget the oldest (a replay of it is then possible until it expires).
    for (const n of this.#used.keys()) {
      if (this.#used.size <= this.#maxTracked) break;
      this.#used.delete(n);
    }
  }
}

/** A per-source (or per-account) cap: calls up at once and new calls per second (bursts of one second's worth). */
export interface CallLimits {
  readonly maxCalls?: number;
  readonly maxCallsPerSec?: number;
}

export type LimitVerdict =
  | { readonly kind: "ok" }
  | { readonly kind: "overCalls" | "overRate"; readonly retryAfterSec: number };

interface SourceEntry {
  tokens: number;
  at: number;
  active: number;
  /** The limits this key is held to (the default, or its trunk's). */
  limits: CallLimits;
}

const burstOf = (limits: CallLimits): number => Math.max(1, limits.maxCallsPerSec ?? 1);

/**
 * Per-key call limits (keys: source addresses): a token bucket of `maxCallsPerSec` (burst max(1, rate)) and a
 * count of calls up. A key is held to the limits given with its first `admit` (a trunk's own), else the
 * default ones. Memory is bounded: at most `maxSources` keys are kept, plus those with calls up (which the
 * account's own cap bounds); when full, the least recently seen key that is idle with a full bucket is dropped
 * (forgetting it changes nothing), else the least recently seen idle one (it may then burst again: counted in
 * `stats().evictedEarly`).
 */
export class SourceLimiter {
  readonly #limits: CallLimits;
  readonly #max: number;
  /** Insertion order = recency (an entry is re-inserted when seen). */
  readonly #entries = new Map<string, SourceEntry>();
  #evicted = 0;
  #evictedEarly = 0;

  constructor(limits: CallLimits, options: { maxSources?: number } = {}) {
    this.#limits = limits;
    this.#max = Math.max(1, options.maxSources ?? 10_000);
  }

  #refill(e: SourceEntry, now: number): void {
    const rate = e.limits.maxCallsPerSec;
    if (rate === undefined) return;
    if (now > e.at) {
      e.tokens = Math.min(burstOf(e.limits), e.tokens + ((now - e.at) / 1000) * rate);
      e.at = now;
    }
  }

  #entry(key: string, now: number, limits: CallLimits): SourceEntry {
    let e = this.#entries.get(key);
    if (e) {
      this.#entries.delete(key);
      if (e.limits !== limits) {
        // The key moved to other limits (a reconfigured trunk): keep its calls up, start its bucket afresh.
        this.#refill(e, now);
        e.limits = limits;
        e.tokens = Math.min(e.tokens, burstOf(limits));
      }
    } else {
      e = { tokens: burstOf(limits), at: now, active: 0, limits };
      if (this.#entries.size >= this.#max) this.#evict(now);
    }
    this.#entries.set(key, e);
    return e;
  }

  #evict(now: number): void {
    let fallback: string | undefined;
    for (const [key, e] of this.#entries) {
      if (e.active > 0) continue;
      this.#refill(e, now);
      if (e.limits.maxCallsPerSec === undefined || e.tokens >= burstOf(e.limits)) {
        this.#entries.delete(key);
        this.#evicted++;
        return;
      }
      fallback ??= key;
    }
    if (fallback !== undefined) {
      this.#entries.delete(fallback);
      this.#evicted++;
      this.#evictedEarly++;
    }
  }

  /**
   * Whether one more call from `key` may start now (held to `limits`, default: the limiter's); when it may, it
   * is counted (tokens and calls up).
   */
  admit(key: string, now: number, limits: CallLimits = this.#limits): LimitVerdict {
    const e = this.#entry(key, now, limits);
    const { maxCalls, maxCallsPerSec } = e.limits;
    if (maxCalls !== undefined && e.active >= maxCalls) return { kind: "overCalls", retryAfterSec: 5 };
    if (maxCallsPerSec !== undefined) {
      this.#refill(e, now);
      if (e.tokens < 1) {
        const wait = Math.ceil((1 - e.tokens) / maxCallsPerSec);
        return { kind: "overRate", retryAfterSec: Math.max(1, wait) };
      }
      e.tokens -= 1;
    }
    e.active++;
    return { kind: "ok" };
  }

  /** Takes one token from `key` without starting a call (a failed digest: password guessing is rate capped). */
  spend(key: string, now: number): boolean {
    const e = this.#entry(key, now, this.#entries.get(key)?.limits ?? this.#limits);
    if (e.limits.maxCallsPerSec === undefined) return true;
    this.#refill(e, now);
    if (e.tokens < 1) return false;
    e.tokens -= 1;
    return true;
  }

  /** A call admitted for `key` ended. */
  release(key: string): void {
    const e = this.#entries.get(key);
    if (e && e.active > 0) e.active--;
  }

  active(key: string): number {
    return this.#entries.get(key)?.active ?? 0;
  }

  stats(): { sources: number; evicted: number; evictedEarly: number } {
    return { sources: this.#entries.size, evicted: this.#evicted, evictedEarly: this.#evictedEarly };
  }
}
