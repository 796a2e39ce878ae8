import { BlockList, isIPv6 } from "node:net";
import { hasControlCharacters } from "@switchyard/contracts";
import type { Contact, LegEndReason } from "@switchyard/routing-domain";

/**
 * A final SIP response to an agent leg's INVITE as the domain's leg end reason. 486/600/603: the phone is busy
 * or declined (the domain's busy fallback); 408/480/487: nobody answered (487 here is a CANCEL the driver did
 * not send — a proxy or the phone gave up); anything else, including transport errors, failed.
 */
export function legEndForStatus(status: number): LegEndReason {
  if (status === 486 || status === 600 || status === 603) return "busy";
  if (status === 408 || status === 480 || status === 487) return "noAnswer";
  return "failed";
}

/** A trunk: inbound INVITEs whose source address is in one of its CIDRs belong to it. */
export interface TrunkConfig {
  readonly name: string;
  /** Addresses or CIDRs (`10.0.0.0/8`, `127.0.0.1`, `::1/128`). */
  readonly sources: readonly string[];
  /**
   * Caps for each of this trunk's source addresses instead of `admission.perSource` (a carrier's SBC carries
   * many calls from one address; a phone one).
   */
  readonly perSource?: { readonly maxCalls?: number; readonly maxCallsPerSec?: number };
}

export class InvalidTrunkSourceError extends Error {
  override readonly name = "InvalidTrunkSourceError";
  constructor(
    readonly trunk: string,
    readonly source: string,
    options?: { cause?: unknown },
  ) {
    super(`trunk ${trunk}: "${source}" is not an IP address or CIDR`, options);
  }
}

/** Which trunk an INVITE came from, by source address (first match in configuration order). */
export class TrunkMatcher {
  readonly #trunks: Array<{ name: string; list: BlockList }>;
  constructor(trunks: readonly TrunkConfig[]) {
    this.#trunks = trunks.map((t) => {
      const list = new BlockList();
      for (const source of t.sources) {
        const [address = "", prefix] = source.split("/");
        const type = isIPv6(address) ? "ipv6" : "ipv4";
        try {
          if (prefix === undefined) list.addAddress(address, type);
          else list.addSubnet(address, Number(prefix), type);
        } catch (err) {
          throw new InvalidTrunkSourceError(t.name, source, { cause: err });
        }
      }
      return { name: t.name, list };
    });
  }
  get size(): number {
    return this.#trunks.length;
  }
  match(address: string): string | undefined {
    const plain = sourceAddress(address);
    const type = isIPv6(plain) ? "ipv6" : "ipv4";
    return this.#trunks.find((t) => t.list.check(plain, type))?.name;
  }
}

/**
 * A source address as the ACL and the per-source counters key it: an IPv4-mapped IPv6 address (what a
 * dual-stack socket reports for an IPv4 peer, `::ffff:192.0.2.1`) is the IPv4 address it maps, so one peer
 * is one source and matches its IPv4 CIDRs whichever way the server listens.
 */
export function sourceAddress(address: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return m ? m[1]! : address.toLowerCase();
}

/** The Request-URI an agent leg is sent to. */
export function contactUri(to: Contact, outboundGateway: string | undefined): string {
  if (to.kind === "sip") {
    const uri = to.uri.startsWith("sip:") || to.uri.startsWith("sips:") ? to.uri : `sip:${to.uri}`;
    // Validated by the domain; a Request-URI is never built from anything that could break out of it.
    if (/[\s<>"]/.test(uri) || hasControlCharacters(uri)) throw new UnsafeSipUriError(uri);
    return uri;
  }
  if (!outboundGateway) throw new NoOutboundGatewayError(to.number);
  return `sip:${to.number}@${outboundGateway}`;
}

/** A contact URI with characters that could break out of a Request-URI. */
export class UnsafeSipUriError extends Error {
  override readonly name = "UnsafeSipUriError";
  constructor(uri: string) {
    super(`refusing to dial ${JSON.stringify(uri.slice(0, 80))}: not a plain SIP URI`);
  }
}

/** A phone-number contact with no `outbound.gateway` configured to send it to. */
export class NoOutboundGatewayError extends Error {
  override readonly name = "NoOutboundGatewayError";
  constructor(readonly number: string) {
    super(
      `cannot dial ${number}: no outbound gateway (sip.outbound.gateway) is configured for phone numbers`,
    );
  }
}

// What may go into a header we build: a caller id's user part, and a whole SIP URI (no parameters, no
// quotes, brackets, spaces or control characters: nothing that could end the header field or the URI).
const SAFE_USER = /^[A-Za-z0-9+*#._~-]{1,64}$/;
const SAFE_SIP_URI =
  /^sips?:[A-Za-z0-9+*#._~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::\d{1,5})?$/;

/**
 * The caller id as a SIP URI for From/P-Asserted-Identity: a number becomes `sip:<number>@<domain>`, a
 * plain SIP URI stays. Anything else (a caller's number passed through from another network may hold
 * anything) is neutralised to `sip:anonymous@<domain>` rather than written into a header.
 */
export function callerIdUri(callerId: string, sipDomain: string): string {
  if (callerId.startsWith("sip:") || callerId.startsWith("sips:"))
    return SAFE_SIP_URI.test(callerId) ? callerId : `sip:anonymous@${sipDomain}`;
  return `sip:${SAFE_USER.test(callerId) ? callerId : "anonymous"}@${sipDomain}`;
}

/** Whether a caller id is written into headers as given (true) or neutralised to anonymous (false). */
export const isSafeCallerId = (callerId: string): boolean =>
  callerId.startsWith("sip:") || callerId.startsWith("sips:")
    ? SAFE_SIP_URI.test(callerId)
    : SAFE_USER.test(callerId);

/**
 * The user part of a SIP or tel URI from the network (`<sip:+4420@host;x>` → `+4420`), reduced to the
 * characters a number or name may have (`+`, digits, letters, `*#._~-`, at most 64): whatever else a peer
 * sends never reaches a call fact, a log line or a header. Nothing usable left: "anonymous".
 */
export function uriUser(uri: string): string {
  const m = /^\s*(?:"[^"]*"\s*)?<?(?:sips?|tel):([^@;>]+)(?:@|;|>|$)/.exec(uri);
  let user = m?.[1] ?? uri;
  try {
    user = decodeURIComponent(user);
  } catch {
    // not percent-encoded text: keep it as it came, the filter below applies either way
  }
  const safe = user.replace(/[^A-Za-z0-9+*#._~-]/g, "").slice(0, 64);
  return safe === "" ? "anonymous" : safe;
}

/** The digit of a SIP INFO DTMF body (`application/dtmf-relay` "Signal=5", or `application/dtmf` "5"). */
export function dtmfFromInfo(contentType: string | undefined, body: string): string | undefined {
  const type = (contentType ?? "").toLowerCase();
  const text = body.trim();
  let digit: string | undefined;
  if (type.includes("dtmf-relay")) digit = /^\s*Signal\s*=\s*([0-9A-D*#])/im.exec(text)?.[1];
  else if (type.includes("application/dtmf")) digit = /^([0-9A-D*#])$/i.exec(text)?.[1];
  return digit?.toUpperCase();
}

/**
 * An offer FreeSWITCH made without a remote SDP (an agent leg's endpoint) carries the audio twice — SRTP
 * (RTP/SAVP with a=crypto) and plain RTP/AVP — when its `rtp_secure_media` is optional. The driver offers
 * plain RTP only: answering the SRTP line would leave the keys of the later re-INVITE to the endpoint unknown
 * to the phone (it then hears nothing), and most phones and trunks use RTP/AVP anyway.
 */
export function plainRtpOffer(sdp: string): string {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(/\r?\n/);
  const session: string[] = [];
  const media: string[][] = [];
  for (const line of lines) {
    if (line.startsWith("m=")) media.push([line]);
    else if (media.length > 0) media.at(-1)!.push(line);
    else session.push(line);
  }
  const plain = media.filter((m) => / RTP\/AVP /.test(m[0]!));
  if (plain.length === 0 || plain.length === media.length) return sdp;
  const kept = plain.map((m) => m.filter((l) => !l.startsWith("a=crypto:")));
  return [...session, ...kept.flat()].join(eol);
}

/**
 * FreeSWITCH writes its name into every SDP it makes (`o=FreeSWITCH …`, `s=FreeSWITCH`): sent as is, each
 * 200 OK and agent INVITE would tell a peer which media server (and so which known vulnerabilities) sits
 * behind the gateway. The origin's username and the session name carry no meaning (RFC 8866 §5.2, §5.3:
 * `-` when there is none), so both become `-`.
 */
export function neutralSdp(sdp: string): string {
  return sdp.replace(/^o=\S+ /m, "o=- ").replace(/^s=.*$/m, "s=-");
}

/**
 * An SDP to send on a dialog in place of the one sent before (a re-INVITE's offer or a re-INVITE's answer),
 * with the origin line the peer knows: RFC 3264 §8 wants the same username, session id and address, and the
 * version one higher, in every later SDP of a session. `sdp` comes from somewhere else (the other phone's, or a
 * new FreeSWITCH endpoint's); only its media lines matter to the peer.
 */
export function continueOrigin(sdp: string, previous: string | undefined): string {
  const before = previous?.match(/^o=(\S+) (\S+) (\d+) (.+)$/m);
  const neutral = neutralSdp(sdp);
  if (!before) return neutral;
  const version = (BigInt(before[3] ?? "0") + 1n).toString();
  return neutral.replace(/^o=.*$/m, `o=${before[1]} ${before[2]} ${version} ${(before[4] ?? "").trimEnd()}`);
}

/** Where and how an SDP's party receives media: each m-line (port, formats) with its connection address. */
function mediaTarget(sdp: string): string {
  let session = "";
  const sections: Array<{ m: string; c: string }> = [];
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("m=")) sections.push({ m: line, c: session });
    else if (line.startsWith("c=")) {
      const last = sections.at(-1);
      if (last) last.c = line;
      else session = line;
    }
  }
  return sections.map((s) => `${s.m} ${s.c}`).join("|");
}

/** Whether two SDPs of one party ask for media at the same address, ports and formats (versions aside). */
export function sameMediaTarget(a: string, b: string): boolean {
  return mediaTarget(a) === mediaTarget(b);
}
