import { randomBytes, randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import type { Clock } from "@switchyard/clock";
import { type Audio, type LegEndReason, positionAnnouncement } from "@switchyard/routing-domain";
import { METRIC_ATTRS, record } from "@switchyard/telemetry";
import Mrf from "drachtio-fsmrf";
import Srf from "drachtio-srf";
import PQueue from "p-queue";
import type { DriverEvent, MediaDriver, OriginateRequest } from "../driver.js";
import type { StoredAudioSource } from "../stored-audio.js";
import { AudioResolver } from "./audio.js";
import {
  checkDtmfCodes,
  DEFAULT_DTMF_TRANSFER_CODES,
  DtmfCodeMatcher,
  type DtmfTransferCodes,
} from "./dtmf-codes.js";
import { LegJournal, leftBehind, removeFiles } from "./leg-journal.js";
import { type MediaEndpoint, ParkedEndpoints } from "./parked-endpoints.js";
import {
  callerIdUri,
  contactUri,
  continueOrigin,
  dtmfFromInfo,
  legEndForStatus,
  neutralSdp,
  plainRtpOffer,
  sameMediaTarget,
  sourceAddress,
  type TrunkConfig,
  TrunkMatcher,
  uriUser,
} from "./signalling.js";
import {
  type CallLimits,
  type DigestAlgorithm,
  DigestAuthenticator,
  type SipPhoneCredential,
  SourceLimiter,
} from "./sip-access.js";

/** The app connects to drachtio-server's admin port (the usual mode). */
export interface DrachtioConnectMode {
  readonly mode: "connect";
  readonly host: string;
  readonly port: number;
  readonly secret: string;
}

/**
 * drachtio-server connects to the app: it asks `routeHandlerPort`'s HTTP handler (give drachtio-server
 * `--http-handler http://<host>:<routeHandlerPort>/`) where to send each new INVITE, and the handler answers
 * with this driver's `host:port`. Requests the driver originates ride on a connection drachtio-server opened
 * (an agent leg is only ever placed while its caller's INVITE connection is up).
 */
export interface DrachtioListenMode {
  readonly mode: "listen";
  /** Address to listen on and to give drachtio-server (default 127.0.0.1). */
  readonly host?: string;
  readonly port: number;
  readonly secret: string;
  /** HTTP routing handler for drachtio-server's `--http-handler` (absent: not served). */
  readonly routeHandlerPort?: number;
}

export interface FreeswitchConfig {
  /** Event socket address. */
  readonly address: string;
  readonly port: number;
  readonly secret: string;
  /** Where FreeSWITCH's outbound event-socket connections come back to (default 127.0.0.1). */
  readonly listenAddress?: string;
  readonly listenPort?: number;
  /** The SIP profile drachtio-fsmrf sends endpoints to (default drachtio_mrf). */
  readonly profile?: string;
  /**
   * How FreeSWITCH endpoints are driven. `parked` (default): FreeSWITCH's dialplan answers and parks the
   * endpoint's call (the `switchyard_endpoint` extension, see the README) and the gateway drives every channel
   * over its one inbound event-socket connection. `outbound`: drachtio-fsmrf's own way, a `socket` application
   * connecting each channel back to the gateway; it works with a stock drachtio-fsmrf dialplan but costs
   * FreeSWITCH several times the CPU per call (each connection is a thread that sees every event).
   */
  readonly control?: "parked" | "outbound";
}

export interface DrachtioDriverOptions {
  readonly clock: Clock;
  readonly drachtio: DrachtioConnectMode | DrachtioListenMode;
  readonly freeswitch: FreeswitchConfig;
  /** Domain of the caller id URIs the driver presents (From / P-Asserted-Identity). Default 127.0.0.1. */
  readonly sipDomain?: string;
  /** Caller id headers on agent legs: From and P-Asserted-Identity (default), or one of them. */
  readonly callerIdHeaders?: "both" | "from" | "pai";
  /**
   * Inbound INVITEs are accepted from these sources without authentication; an INVITE from elsewhere gets 403,
   * or a 401 digest challenge when phones are configured. With neither trunks nor `phones` every INVITE is
   * refused (403; the driver says so at start), unless `allowAnySource`.
   */
  readonly trunks?: readonly TrunkConfig[];
  /**
   * With neither trunks nor phones configured, accept INVITEs from any source (trunk "default"; a warning at
   * start). For a lab only: an open SIP edge is how toll fraud starts.
   */
  readonly allowAnySource?: boolean;
  /**
   * Agent phones that may call in from any address with SIP digest (RFC 3261 §22 / RFC 7616): the INVITE is
   * challenged (401), a correct username/password makes the call (trunk `phone:<username>`, the caller is
   * the username), a wrong one gets 403. Passwords are never logged.
   */
  readonly phones?: readonly SipPhoneCredential[];
  /**
   * Digest realm (default: `sipDomain`) and algorithm (default MD5, the one every phone implements);
   * `sources`: the addresses/CIDRs phones may call from (default any): an INVITE from elsewhere that is not
   * from a trunk gets 403 without a challenge.
   */
  readonly digest?: {
    readonly realm?: string;
    readonly algorithm?: DigestAlgorithm;
    readonly nonceTtlSec?: number;
    readonly sources?: readonly string[];
  };
  /** Where phone-number contacts are sent (`host[:port]`, e.g. a carrier's SBC). */
  readonly outboundGateway?: string;
  /** TTS cache, downloads, recordings (`recordings/`, `voicemail/`). */
  readonly mediaDir: string;
  /**
   * Where each live leg's dialog and FreeSWITCH channel are recorded (a journal per process, a line when an
   * answered leg is up and one when it ends: see leg-journal.ts), so that the next process of this gateway
   * ends what a killed one left: BYE to the phone, `uuid_kill` of the endpoint. Default `<mediaDir>/dialogs`.
   * One directory per gateway process.
   */
  readonly stateDir?: string;
  /**
   * TTS: a local engine rendering cached WAVs (default `espeak-ng`), or FreeSWITCH's own engine where the
   * deployment has one (`freeswitch: {engine, voice}`, played as `say:`).
   */
  readonly tts?: {
    readonly command?: string;
    readonly args?: readonly string[];
    readonly freeswitch?: { readonly engine: string; readonly voice: string };
  };
  readonly dtmfTransferCodes?: Partial<DtmfTransferCodes>;
  /** Uploaded audio files, played from a local copy (see AudioResolverOptions.storedAudio). */
  readonly storedAudio?: StoredAudioSource;
  /**
   * Conversation recordings in stereo (default): left = the first leg's party (the caller), right = what it
   * hears (the other party once bridged). False: both mixed into one mono channel.
   */
  readonly recordingStereo?: boolean;
  /**
   * FreeSWITCH endpoints being created at once (default 16); the others wait their turn in this process. With
   * `freeswitch.control: outbound` an endpoint being created has its FreeSWITCH channel wait for this
   * process's event-socket handshake in a 1 ms sleep loop: hundreds of those at once starve the machine (seen
   * at 30 calls/s on 2 cores: FreeSWITCH at 160% CPU in clock_nanosleep, every call slower, more channels
   * waiting — a collapse). Parked endpoints do not wait so, but FreeSWITCH's work per creation still bounds
   * how many are worth starting at once.
   */
  readonly endpointsInFlight?: number;
  /**
   * Admission control: an INVITE beyond these is answered 503 (with `Retry-After`) before anything else —
   * no FreeSWITCH endpoint, no prompt, no call recorded. `maxCalls`: inbound calls up at once (default 500:
   * two FreeSWITCH channels per bridged call fill the shipped configuration's `max-sessions` of 1000);
   * `maxCallsPerSec`: new calls per second, bursts up to one second's worth (default unlimited).
   * `maxWaitingForMedia`: callers waiting for their FreeSWITCH endpoint (beyond `endpointsInFlight`) at
   * once (default 100): when FreeSWITCH no longer keeps up, a caller is refused at once rather than left
   * waiting tens of seconds for the 200 OK (the SIP load test's collapse).
   */
  readonly admission?: {
    readonly maxCalls?: number;
    readonly maxCallsPerSec?: number;
    readonly maxWaitingForMedia?: number;
    /**
     * The same caps per source address (a trunk's peer or a phone), checked first: one misbehaving source
     * is refused on its own without using up the account's calls or rate. `maxSources`: how many source
     * addresses are remembered (default 10 000; the least recently seen idle one is forgotten).
     */
    readonly perSource?: CallLimits;
    readonly maxSources?: number;
  };
  /**
   * Agent legs: `late` (default) sends the INVITE without SDP and makes the leg's FreeSWITCH endpoint only
   * once the phone answered, with the phone's offer (unanswered legs cost FreeSWITCH nothing); `early` makes
   * the endpoint first and offers its SDP in the INVITE — for phones or PBXs that mishandle a late offer
   * (FreeSWITCH with `enable-3pcc=true` answers one at once, without ringing).
   */
  readonly agentOffer?: "late" | "early";
  /**
   * `afterBridge`: two legs bridged for `mediaReleaseDelayMs` (default 1 s) with nothing playing or recording
   * on either are re-INVITEd to send their RTP to each other, and both FreeSWITCH endpoints are ended: a
   * bridged call then costs FreeSWITCH nothing while it lasts (an endpoint costs it a frame every 20 ms, which
   * bounds the calls one machine carries). Anything that needs media on such a leg later (a prompt, hold
   * music, a recording, a transfer, a new bridge, the phone's own re-INVITE) first gives it and its peer new
   * endpoints (re-anchoring: an endpoint each and a re-INVITE each). What it costs: a released agent's
   * RFC 2833 DTMF goes to the caller, not to FreeSWITCH, so DTMF transfer codes work from a released leg only
   * as SIP INFO; and both phones must accept re-INVITEs. `off` (default): media stays on FreeSWITCH.
   */
  readonly mediaRelease?: "off" | "afterBridge";
  readonly mediaReleaseDelayMs?: number;
  /** Added to an originate's timeout before the driver itself gives up with `noAnswer` (default 5 s). */
  readonly originateGraceSec?: number;
  readonly log?: (
    level: "info" | "warn" | "error",
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
}

/** The endpoint queue's priorities: answered agents go before new callers (their calls are already taken). */
const CALLER_TURN = 0;
const ANSWERED_AGENT_TURN = 1;
/** How long one FreeSWITCH endpoint may take to be created before it counts as failed. */
const ENDPOINT_TIMEOUT_MS = 15_000;

/** drachtio-server or FreeSWITCH could not be reached at start. */
export class TelephonyConnectError extends Error {
  override readonly name = "TelephonyConnectError";
}

type LegStatus = "trying" | "ringing" | "answered" | "ended";

type Job =
  | { readonly kind: "play"; readonly playbackId: string; readonly arg: Promise<string>; stopped: boolean }
  | {
      readonly kind: "voicemail";
      readonly recordingId: string;
      readonly path: string;
      readonly maxSec: number;
      finished: boolean;
    };

interface Leg {
  readonly id: string;
  readonly direction: "inbound" | "outbound";
  status: LegStatus;
  ep?: MediaEndpoint;
  dialog?: Srf.Dialog;
  invite?: Srf.SrfRequest;
  /** Set when the router (or the guard timer) abandoned the leg before its INVITE's outcome. */
  abandoned?: LegEndReason;
  guard?: AbortController;
  bridgedTo?: string;
  hold?: Promise<string>;
  /** The hold music being played now (differs from `hold` once replaced or stopped). */
  holdCurrent?: Promise<string>;
  holdPlaying: boolean;
  readonly queue: Job[];
  current?: Job;
  pumping: boolean;
  readonly playbackIds: Set<string>;
  readonly codes?: DtmfCodeMatcher;
  /** drachtio-server connection the leg's requests ride on (listen mode). */
  socket?: unknown;
  /** `mediaRelease`: the phone's RTP goes to this leg's peer's phone (`releasedWith`); no endpoint. */
  released?: boolean;
  releasedWith?: string;
  /** A release or a re-anchoring of this leg under way: what needs its media waits for it. */
  moving?: Promise<void>;
  releaseTimer?: AbortController;
}

/** What `mediaRelease` did (`DrachtioDriver.mediaReleaseStats`). */
export interface MediaReleaseStats {
  /** Bridged pairs whose phones were put in direct contact and whose endpoints were ended. */
  readonly released: number;
  /** Legs given a FreeSWITCH endpoint again. */
  readonly reanchored: number;
  /** Releases given up (a phone refused the re-INVITE): the pair stayed on FreeSWITCH. */
  readonly refused: number;
}

/** drachtio-srf's `createUAC` with `noAck` and no local SDP: the phone's offer, and the ACK to send with ours. */
interface LateOfferAnswer {
  readonly sdp: string;
  ack(localSdp: string): Promise<Srf.Dialog>;
  /** ACK (echoing its offer) and BYE: an answered leg no longer wanted. */
  destroy(): Promise<void>;
}

/** What the driver uses of a modesl outbound (per channel) event-socket connection. */
interface EslOutboundConnection {
  readonly socket?: { setNoDelay(noDelay: boolean): unknown } | null;
  getInfo(): { getHeader(name: string): string | undefined };
  execute(app: string, arg?: string): unknown;
}

/** INVITEs the driver refused because of `admission` or the access rules (none of them reached the platform). */
export interface AdmissionStats {
  readonly admitted: number;
  /** 503: over the account's calls up at once / calls per second. */
  readonly overCalls: number;
  readonly overRate: number;
  /** 503: too many callers already waiting for a FreeSWITCH endpoint (`admission.maxWaitingForMedia`). */
  readonly overMedia: number;
  /** 503: over the source's calls up at once / calls per second (`admission.perSource`). */
  readonly sourceOverCalls: number;
  readonly sourceOverRate: number;
  /** 403: from no trunk and no phone credentials configured, or digest credentials that do not hold. */
  readonly forbidden: number;
  /** 401: challenged for digest credentials. */
  readonly challenged: number;
  /** INVITEs refused with 503 because the gateway was draining (`refuseNewCalls()`). */
  readonly draining: number;
}

/** What `start()` did with the legs a previous process left (see `stateDir`). */
export interface OrphanReport {
  readonly found: number;
  /** BYEs drachtio-server accepted for the phones' dialogs it still held. */
  readonly byesSent: number;
  /** FreeSWITCH channels killed. */
  readonly channelsKilled: number;
}

/**
 * The production media driver: SIP signalling through drachtio-server (drachtio-srf), media through
 * FreeSWITCH (drachtio-fsmrf). Every leg — the caller's inbound call and each agent leg — has its own
 * FreeSWITCH endpoint: the phone's RTP goes to that endpoint, so a prompt or a whisper played on one endpoint
 * is heard on that leg only, hold music loops on the caller's endpoint while agents ring, and `bridge`
 * joins two endpoints (`uuid_bridge`).
 *
 * A gateway restart while drachtio-server and FreeSWITCH keep running ENDS the calls of the dead process
 * cleanly rather than reattaching them: neither library can adopt a dialog or an endpoint it did not create
 * (drachtio-fsmrf only accepts event-socket connections for endpoints it is creating). Both servers keep the
 * dead process's dialogs and channels up, so each answered leg is recorded in `stateDir`, and the next
 * `start()` BYEs the phone (in-dialog, through drachtio-server) and kills the endpoint; `channelExists` is
 * false for every channel of a previous process, so the gateway reports those legs failed. See the README.
 */
export class DrachtioDriver implements MediaDriver {
  /**
   * Leg commands the gateway runs at once across calls (each call's own still run in order). Many of them
   * wait for a FreeSWITCH event-socket round trip (uuid_bridge, uuid_break, uuid_record), which under load
   * takes hundreds of milliseconds: with 16 at once, those held every slot and a new call's originate waited
   * seconds behind them (the SIP load test at 30 calls/s with media release: LegOriginateRequested → agent
   * INVITE p50 0.9–4.5 s; with 128, p50 153–183 ms and all 900 calls answered). The work itself is not
   * multiplied: FreeSWITCH runs the commands of one event-socket connection in turn.
   */
  readonly commandConcurrency = 128;
  readonly #o: DrachtioDriverOptions;
  readonly #clock: Clock;
  readonly #listeners = new Set<(event: DriverEvent) => void>();
  readonly #legs = new Map<string, Leg>();
  readonly #recordings = new Map<string, { leg: Leg; path: string }>();
  readonly #trunks: TrunkMatcher;
  readonly #codes: DtmfTransferCodes;
  readonly #audio: AudioResolver;
  readonly #graceMs: number;
  readonly #log: NonNullable<DrachtioDriverOptions["log"]>;
  readonly #srf = new Srf();
  readonly #endpointQueue: PQueue;
  #ms: Mrf.MediaServer | undefined;
  /** `freeswitch.control: parked`: endpoints driven over the media server's one event-socket connection. */
  #parked: ParkedEndpoints | undefined;
  #routeServer: Server | undefined;
  #closed = false;
  /** Gone as a killed process is: nothing more is done, not even local bookkeeping. */
  #detached = false;
  #started = false;
  /** Channel ids never repeat across driver processes (the gateway's restart reconciliation relies on it). */
  readonly #boot = randomUUID().slice(0, 8);
  #inboundSeq = 0;
  readonly #stateDir: string;
  readonly #journal: LegJournal;
  /** Ids of ended legs (bounded): a repeated originate of one is ignored; the Leg itself is dropped. */
  readonly #endedIds = new Set<string>();
  /** Listen mode: drachtio-server's connections that carried INVITEs, ended once no leg is up. */
  readonly #sessions = new Set<unknown>();
  #orphans: OrphanReport = { found: 0, byesSent: 0, channelsKilled: 0 };
  readonly #admission = {
    admitted: 0,
    overCalls: 0,
    overRate: 0,
    overMedia: 0,
    sourceOverCalls: 0,
    sourceOverRate: 0,
    forbidden: 0,
    challenged: 0,
    draining: 0,
  };
  readonly #digest: DigestAuthenticator;
  /** Where phones may call from (`digest.sources`); undefined: anywhere. */
  readonly #phoneSources: TrunkMatcher | undefined;
  readonly #perSource: SourceLimiter | undefined;
  /** Trunks with their own per-source limits (`trunks[].perSource`), by name. */
  readonly #trunkLimits = new Map<string, CallLimits>();
  /** Inbound leg id → the source address its calls-up count is held under (`admission.perSource`). */
  readonly #legSource = new Map<string, string>();
  #refusing = false;
  readonly #releaseStats = { released: 0, reanchored: 0, refused: 0 };
  /** Token bucket of `admission.maxCallsPerSec` (platform clock). */
  #tokens = 0;
  #tokensAt = 0;

  constructor(options: DrachtioDriverOptions) {
    this.#o = options;
    this.#clock = options.clock;
    this.#trunks = new TrunkMatcher(options.trunks ?? []);
    this.#digest = new DigestAuthenticator({
      realm: options.digest?.realm ?? options.sipDomain ?? "127.0.0.1",
      phones: options.phones ?? [],
      nonceKey: randomBytes(32),
      ...(options.digest?.algorithm ? { algorithm: options.digest.algorithm } : {}),
      ...(options.digest?.nonceTtlSec ? { nonceTtlMs: options.digest.nonceTtlSec * 1000 } : {}),
    });
    const phoneSources = options.digest?.sources;
    this.#phoneSources =
      phoneSources && phoneSources.length > 0
        ? new TrunkMatcher([{ name: "phones", sources: phoneSources }])
        : undefined;
    const limited = (l: CallLimits | undefined): l is CallLimits =>
      l !== undefined && (l.maxCalls !== undefined || l.maxCallsPerSec !== undefined);
    const perSource = options.admission?.perSource;
    for (const t of options.trunks ?? [])
      if (limited(t.perSource)) this.#trunkLimits.set(t.name, t.perSource);
    this.#perSource =
      limited(perSource) || this.#trunkLimits.size > 0
        ? new SourceLimiter(limited(perSource) ? perSource : {}, {
            maxSources: options.admission?.maxSources ?? 10_000,
          })
        : undefined;
    this.#codes = { ...DEFAULT_DTMF_TRANSFER_CODES, ...options.dtmfTransferCodes };
    checkDtmfCodes(this.#codes);
    this.#audio = new AudioResolver({
      cacheDir: join(options.mediaDir, "cache"),
      ...(options.tts?.command === undefined ? {} : { ttsCommand: options.tts.command }),
      ...(options.tts?.args === undefined ? {} : { ttsArgs: options.tts.args }),
      ...(options.tts?.freeswitch === undefined ? {} : { freeswitchTts: options.tts.freeswitch }),
      ...(options.storedAudio === undefined ? {} : { storedAudio: options.storedAudio }),
    });
    this.#graceMs = (options.originateGraceSec ?? 5) * 1000;
    this.#tokens = options.admission?.maxCallsPerSec ?? 0;
    this.#tokensAt = options.clock.now();
    this.#endpointQueue = new PQueue({ concurrency: Math.max(1, options.endpointsInFlight ?? 16) });
    this.#stateDir = options.stateDir ?? join(options.mediaDir, "dialogs");
    this.#journal = new LegJournal(this.#stateDir, this.#boot, (err, channelId) =>
      this.#log("warn", "leg record not written: a crash would leave this leg up", {
        channelId,
        error: describe(err),
      }),
    );
    this.#log =
      options.log ??
      ((level, message, fields) => {
        const line = JSON.stringify({ level, msg: `drachtio driver: ${message}`, ...fields });
        if (level === "info") console.log(line);
        else console.error(line);
      });
  }

  /** Which driver and where, for `switchyard run`. */
  describe(): string {
    const d = this.#o.drachtio;
    const f = this.#o.freeswitch;
    const sig =
      d.mode === "connect"
        ? `connects to drachtio-server ${d.host}:${d.port}`
        : `listens for drachtio-server on ${d.host ?? "127.0.0.1"}:${d.port}`;
    return `drachtio driver: ${sig}, FreeSWITCH event socket ${f.address}:${f.port}`;
  }

  /** Connects to drachtio-server (or listens for it) and to FreeSWITCH; resolves when both are ready. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await mkdir(join(this.#o.mediaDir, "recordings"), { recursive: true });
    await mkdir(join(this.#o.mediaDir, "voicemail"), { recursive: true });
    await mkdir(this.#stateDir, { recursive: true });
    const srf = this.#srf;
    // With an 'error' listener drachtio-srf reconnects by itself after a lost connection.
    srf.on("error", (err: Error) => {
      if (!this.#closed) this.#log("warn", "drachtio connection error", { error: err.message });
    });
    srf.invite((req, res) => void this.#onInvite(req, res));
    if (this.#trunks.size === 0 && this.#digest.size === 0) {
      if (this.#o.allowAnySource)
        this.#log(
          "warn",
          "no sip.trunks and no sip.phones, sip.allowAnySource: INVITEs are accepted from any source",
        );
      else
        this.#log(
          "error",
          "no sip.trunks and no sip.phones configured: every inbound INVITE is refused (403) until they are (or sip.allowAnySource for a lab)",
        );
    }
    const d = this.#o.drachtio;
    try {
      if (d.mode === "connect") {
        await withTimeout(
          srf.connect({ host: d.host, port: d.port, secret: d.secret }),
          10_000,
          `drachtio-server ${d.host}:${d.port}`,
        );
      } else {
        const host = d.host ?? "127.0.0.1";
        await srf.listen({ host, port: d.port, secret: d.secret } as Srf.SrfConfig);
        if (d.routeHandlerPort !== undefined)
          this.#routeServer = await serveRoute(host, d.routeHandlerPort, d.port);
      }
    } catch (err) {
      throw new TelephonyConnectError(`cannot reach drachtio-server: ${describe(err)}`, { cause: err });
    }
    const f = this.#o.freeswitch;
    try {
      const mrf = new Mrf(srf);
      this.#ms = await withTimeout(
        mrf.connect({
          address: f.address,
          port: f.port,
          secret: f.secret,
          listenAddress: f.listenAddress ?? "127.0.0.1",
          ...(f.listenPort === undefined ? {} : { listenPort: f.listenPort }),
          ...(f.profile === undefined ? {} : { profile: f.profile }),
        }),
        10_000,
        `FreeSWITCH event socket ${f.address}:${f.port}`,
      );
      this.#ms.on("error", (err: Error) =>
        this.#log("warn", "FreeSWITCH connection error", { error: err.message }),
      );
      const ms = this.#ms;
      if (f.control === "outbound") this.#answerOutboundChannels(ms);
      else {
        this.#parked = new ParkedEndpoints(srf, ms);
        // A dialplan without the extension would leave every call unanswered: say so now, not per call. In
        // listen mode nothing can be sent before drachtio-server connects (with a call): the first call says.
        if (d.mode === "connect") {
          const probe = await this.#parked.create();
          await probe.destroy();
        } else await this.#parked.ready();
      }
    } catch (err) {
      srf.disconnect();
      throw new TelephonyConnectError(`cannot reach FreeSWITCH: ${describe(err)}`, { cause: err });
    }
    this.#orphans = await this.#endOrphans();
    this.#log("info", "started", { describe: this.describe(), orphans: this.#orphans });
  }

  /**
   * `freeswitch.control: outbound`: an endpoint for an offer (the caller's INVITE) is answered by FreeSWITCH
   * only when its dialplan runs `answer` before `socket`; many configurations (the one shipped here) do not.
   * Answering from here works with both (a no-op for an answered channel).
   */
  #answerOutboundChannels(ms: Mrf.MediaServer): void {
    // drachtio-fsmrf 4.1.2's event-socket server (`_server`, modesl): each new channel's own connection, so
    // the answer goes on it (an `answer` run by the channel) rather than one `uuid_answer` per call queued on
    // the single inbound connection every `api` shares; only an offer's endpoint needs it (a 3pcc endpoint
    // is answered by FreeSWITCH itself).
    const server = (ms as unknown as { _server?: { on?: unknown } })._server;
    if (server && typeof server.on === "function") {
      const esl = server as { on(event: string, listener: (conn: EslOutboundConnection) => void): void };
      // modesl writes each line of a command in a write of its own and leaves Nagle on: every line after
      // the first would wait for FreeSWITCH's (delayed) ACK of the first.
      esl.on("connection::open", (conn) => conn.socket?.setNoDelay(true));
      esl.on("connection::ready", (conn) => {
        const info = conn.getInfo();
        if (info.getHeader("Answer-State") !== "answered" && info.getHeader("variable_switch_r_sdp"))
          conn.execute("answer");
      });
    } else {
      ms.on("channel::open", ({ uuid }: { uuid?: string }) => {
        if (uuid) void ms.api(`uuid_answer ${uuid}`).catch(() => undefined);
      });
    }
  }

  // ---- MediaDriver ----

  onEvent(listener: (event: DriverEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  channelExists(channelId: string): boolean {
    const leg = this.#legs.get(channelId);
    return leg !== undefined && leg.status !== "ended";
  }

  async originate(request: OriginateRequest): Promise<void> {
    if (this.#closed || this.#legs.has(request.channelId) || this.#endedIds.has(request.channelId)) return;
    const ms = this.#media();
    let uri: string;
    try {
      uri = contactUri(request.to, this.#o.outboundGateway);
    } catch (err) {
      // Nothing to dial (a phone number and no outbound gateway): the leg fails, as a 404 would; a retry
      // could not do better.
      this.#endedIds.add(request.channelId);
      const detail = describe(err);
      this.#log("warn", "originate impossible", { channelId: request.channelId, error: detail });
      setImmediate(() =>
        this.#emit({
          type: "ended",
          channelId: request.channelId,
          reason: "failed",
          detail,
          at: this.#now(),
        }),
      );
      return;
    }
    const leg = this.#newLeg(request.channelId, "outbound");
    // The driver's own guard; the router's ring timeout (same length) normally cancels first.
    leg.guard = this.#after(request.timeoutSec * 1000 + this.#graceMs, () => this.#abandon(leg, "noAnswer"));
    // Accepted now; the endpoint and the INVITE follow without holding the gateway's command consumer
    // (one command at a time) for a FreeSWITCH round trip: what goes wrong from here ends the leg `failed`.
    void this.#place(leg, ms, uri, request);
  }

  /**
   * The agent's INVITE goes out without SDP (late offer): the phone offers in its 200 OK, and only then is a
   * FreeSWITCH endpoint made for the leg, with that offer, and its answer sent in our ACK. A leg that is never
   * answered (no answer, busy, cancelled, the losers of a simultaneous ring) costs FreeSWITCH nothing, and an
   * answered one costs one INVITE to FreeSWITCH instead of a 3pcc INVITE plus the re-INVITE with the phone's
   * answer: endpoint creation was the SIP load test's ceiling.
   */
  async #place(leg: Leg, ms: Mrf.MediaServer, uri: string, request: OriginateRequest): Promise<void> {
    if (this.#o.agentOffer === "early") return this.#placeEarlyOffer(leg, ms, uri, request);
    const caller = callerIdUri(request.callerId, this.#o.sipDomain ?? "127.0.0.1");
    const which = this.#o.callerIdHeaders ?? "both";
    const headers: Record<string, string> = {};
    if (which !== "pai") headers.From = `<${caller}>`;
    if (which !== "from") headers["P-Asserted-Identity"] = `<${caller}>`;
    let answer: LateOfferAnswer;
    try {
      answer = (await this.#srf.createUAC(
        uri,
        {
          headers,
          noAck: true,
          ...(leg.socket ? { _socket: leg.socket } : {}),
        } as unknown as Srf.CreateUACOptions,
        this.#uacProgress(leg),
      )) as unknown as LateOfferAnswer;
    } catch (err) {
      if (leg.status === "ended") return;
      const status = sipStatus(err);
      const reason = leg.abandoned ?? (status === undefined ? "failed" : legEndForStatus(status));
      this.#end(leg, reason, status === undefined ? describe(err) : `${status} ${sipReason(err)}`.trim(), {});
      return;
    }
    // Answered: the ring timeout no longer applies (the endpoint may take a moment under load).
    leg.guard?.abort();
    if (typeof (answer as Partial<LateOfferAnswer>).ack !== "function") {
      // A 200 OK without SDP to our offerless INVITE: drachtio-srf ACKed it and made a dialog; no media
      // can be agreed on it.
      bye(answer as unknown as Srf.Dialog);
      this.#end(leg, "failed", "the phone answered without an SDP offer", {});
      return;
    }
    if (leg.status === "ended") {
      // A CANCEL crossed the 200 OK: the call was answered after all, so ACK and hang it up.
      void answer.destroy().catch(() => undefined);
      return;
    }
    let ep: MediaEndpoint;
    try {
      ep = await this.#endpoint(ms, { remoteSdp: answer.sdp }, "answered agent");
    } catch (err) {
      this.#log("warn", "no FreeSWITCH endpoint for an agent leg", {
        channelId: leg.id,
        error: describe(err),
      });
      void answer.destroy().catch(() => undefined);
      this.#end(leg, "failed", `FreeSWITCH endpoint: ${describe(err)}`, {});
      return;
    }
    if ((leg.status as LegStatus) === "ended") {
      void answer.destroy().catch(() => undefined);
      void ep.destroy().catch(() => undefined);
      return;
    }
    this.#attachEndpoint(leg, ep);
    let dialog: Srf.Dialog;
    try {
      dialog = await answer.ack(localSdp(ep));
    } catch (err) {
      this.#log("warn", "agent leg not acknowledged", { channelId: leg.id, error: describe(err) });
      void answer.destroy().catch(() => undefined);
      this.#end(leg, "failed", `ACK: ${describe(err)}`, {});
      return;
    }
    if ((leg.status as LegStatus) === "ended") {
      bye(dialog);
      return;
    }
    leg.dialog = dialog;
    this.#watchDialog(leg, dialog);
    leg.status = "answered";
    this.#persist(leg);
    this.#emit({ type: "answered", channelId: leg.id, at: this.#now() });
    this.#pump(leg);
    this.#hungUpAlready(leg, dialog);
  }

  /** `agentOffer: "early"`: the endpoint first (a 3pcc offer from FreeSWITCH), its offer in the INVITE. */
  async #placeEarlyOffer(
    leg: Leg,
    ms: Mrf.MediaServer,
    uri: string,
    request: OriginateRequest,
  ): Promise<void> {
    let ep: MediaEndpoint;
    try {
      ep = await this.#endpoint(ms, {}, "answered agent");
    } catch (err) {
      this.#log("warn", "no FreeSWITCH endpoint for an agent leg", {
        channelId: leg.id,
        error: describe(err),
      });
      this.#end(leg, "failed", `FreeSWITCH endpoint: ${describe(err)}`, {});
      return;
    }
    if (leg.status === "ended") {
      void ep.destroy().catch(() => undefined);
      return;
    }
    this.#attachEndpoint(leg, ep);
    const caller = callerIdUri(request.callerId, this.#o.sipDomain ?? "127.0.0.1");
    const which = this.#o.callerIdHeaders ?? "both";
    const headers: Record<string, string> = {};
    if (which !== "pai") headers.From = `<${caller}>`;
    if (which !== "from") headers["P-Asserted-Identity"] = `<${caller}>`;
    void this.#srf
      .createUAC(
        uri,
        { localSdp: plainRtpOffer(localSdp(ep)), headers, ...(leg.socket ? { _socket: leg.socket } : {}) },
        this.#uacProgress(leg),
      )
      .then(
        async (dialog) => {
          if (leg.status === "ended") {
            // A CANCEL crossed the 200 OK: the call was answered after all, so hang it up.
            bye(dialog);
            return;
          }
          leg.dialog = dialog;
          this.#watchDialog(leg, dialog);
          try {
            await ep.modify(dialog.remote.sdp);
          } catch (err) {
            this.#log("warn", "agent SDP refused by FreeSWITCH", { channelId: leg.id, error: describe(err) });
            this.#end(leg, "failed", "media negotiation failed", { bye: true });
            return;
          }
          if ((leg.status as LegStatus) === "ended") return;
          leg.guard?.abort();
          leg.status = "answered";
          this.#persist(leg);
          this.#emit({ type: "answered", channelId: leg.id, at: this.#now() });
          this.#pump(leg);
          this.#hungUpAlready(leg, dialog);
        },
        (err: unknown) => {
          if (leg.status === "ended") return;
          const status = sipStatus(err);
          const reason = leg.abandoned ?? (status === undefined ? "failed" : legEndForStatus(status));
          this.#end(
            leg,
            reason,
            status === undefined ? describe(err) : `${status} ${sipReason(err)}`.trim(),
            {},
          );
        },
      );
  }

  /**
   * A FreeSWITCH endpoint, in turn: `endpointsInFlight` are being created at once. Answered agents go before
   * new callers: their calls are already taken.
   */
  #endpoint(
    ms: Mrf.MediaServer,
    opts: { remoteSdp?: string },
    kind: "answered agent" | "caller",
  ): Promise<MediaEndpoint> {
    const queued = performance.now();
    const attributes = { [METRIC_ATTRS.kind]: kind };
    return this.#endpointQueue.add(
      async () => {
        const started = performance.now();
        record("mediaEndpointWait", (started - queued) / 1000, attributes);
        // A creation that hangs (FreeSWITCH never connects back) must not hold its turn for ever; if it
        // completes after all, the endpoint is not wanted any more.
        const creation: Promise<MediaEndpoint> = this.#parked
          ? this.#parked.create(opts)
          : ms.createEndpoint(opts);
        try {
          const ep = await withTimeout(creation, ENDPOINT_TIMEOUT_MS, "FreeSWITCH endpoint");
          record("mediaEndpointCreate", (performance.now() - started) / 1000, attributes);
          return ep;
        } catch (err) {
          creation.then(
            (ep) => void ep.destroy().catch(() => undefined),
            () => undefined,
          );
          throw err;
        }
      },
      { priority: kind === "answered agent" ? ANSWERED_AGENT_TURN : CALLER_TURN },
    ) as Promise<MediaEndpoint>;
  }

  async cancel(channelId: string, reason: string): Promise<void> {
    const leg = this.#live(channelId);
    if (!leg) return;
    if (leg.status === "answered") return this.hangup(channelId, reason);
    this.#abandon(leg, "cancelled", `cancel: ${reason}`);
  }

  async hangup(channelId: string, reason: string): Promise<void> {
    const leg = this.#live(channelId);
    if (!leg) return;
    if (leg.status !== "answered") return this.#abandon(leg, "cancelled", `hangup: ${reason}`);
    this.#end(leg, "hungUp", `hangup: ${reason}`, { bye: true });
  }

  async play(channelId: string, playbackId: string, audio: Audio): Promise<void> {
    const leg = this.#answered(channelId);
    if (!leg || leg.playbackIds.has(playbackId)) return;
    this.#enqueue(leg, { kind: "play", playbackId, arg: this.#audio.resolve(audio, "once"), stopped: false });
  }

  async stopPlayback(channelId: string, playbackId: string): Promise<void> {
    const leg = this.#live(channelId);
    if (!leg) return;
    const queued = leg.queue.findIndex((j) => j.kind === "play" && j.playbackId === playbackId);
    if (queued >= 0) {
      leg.queue.splice(queued, 1);
      return;
    }
    const job = leg.current;
    if (job?.kind === "play" && job.playbackId === playbackId && !job.stopped) {
      // Never reports playbackFinished (IVR barge-in).
      job.stopped = true;
      await this.#break(leg);
    }
  }

  async announcePosition(
    channelId: string,
    playbackId: string,
    position: number,
    expectedWaitSec?: number,
  ): Promise<void> {
    const leg = this.#answered(channelId);
    if (!leg || leg.playbackIds.has(playbackId)) return;
    const text = positionAnnouncement(position, expectedWaitSec);
    this.#enqueue(leg, {
      kind: "play",
      playbackId,
      arg: this.#audio.resolve({ kind: "tts", text }, "once"),
      stopped: false,
    });
  }

  async startHoldMusic(channelId: string, audio: Audio): Promise<void> {
    const leg = this.#answered(channelId);
    if (!leg) return;
    const arg = this.#audio.resolve(audio, "loop");
    arg.catch(() => undefined);
    if (leg.holdPlaying) {
      leg.hold = arg;
      await this.#break(leg);
    } else {
      leg.hold = arg;
      this.#pump(leg);
    }
  }

  async stopHoldMusic(channelId: string): Promise<void> {
    const leg = this.#live(channelId);
    if (!leg?.hold) return;
    delete leg.hold;
    if (leg.holdPlaying) await this.#break(leg);
  }

  async bridge(a: string, b: string): Promise<void> {
    const x = this.#live(a);
    const y = this.#live(b);
    if (!x || !y || x.bridgedTo === y.id) return;
    if (x.status === "answered" && y.status === "answered") {
      await this.#withMedia(x);
      await this.#withMedia(y);
    }
    if (x.status !== "answered" || y.status !== "answered" || !x.ep || !y.ep) {
      this.#log("info", "bridge ignored: a leg has not answered", { a, b });
      return;
    }
    if (x.bridgedTo === y.id) return;
    const left: Leg[] = [];
    for (const leg of [x, y]) {
      // uuid_bridge takes the channel out of whatever it plays: hold music ends with the bridge.
      delete leg.hold;
      const old = leg.bridgedTo === undefined ? undefined : this.#legs.get(leg.bridgedTo);
      if (old && old !== x && old !== y) {
        delete old.bridgedTo;
        left.push(old);
      }
    }
    x.bridgedTo = y.id;
    y.bridgedTo = x.id;
    await x.ep.bridge(y.ep.uuid).catch((err: unknown) => {
      this.#log("warn", "uuid_bridge failed", { a, b, error: describe(err) });
    });
    // A party left by this bridge (parked by FreeSWITCH) plays what it was asked to, e.g. hold music.
    for (const leg of left) this.#pump(leg);
    this.#scheduleRelease(x, y);
  }

  async unbridge(a: string, b: string): Promise<void> {
    const x = this.#legs.get(a);
    if (!x || x.bridgedTo !== b) return;
    const y = this.#legs.get(b);
    delete x.bridgedTo;
    if (y?.bridgedTo === a) delete y.bridgedTo;
    // A released pair first gets endpoints of its own (parked, as unbridged channels are).
    if (x.status !== "ended") await this.#withMedia(x);
    if (x.status !== "ended" && x.ep) {
      // Parks both channels; each then plays what it is asked to (hold music for a warm transfer's caller).
      await x.ep.unbridge().catch((err: unknown) => {
        this.#log("warn", "unbridge failed", { a, b, error: describe(err) });
      });
    }
    this.#pump(x);
    if (y) this.#pump(y);
  }

  async startRecording(recordingId: string, channelIds: readonly string[]): Promise<void> {
    if (this.#recordings.has(recordingId)) return;
    // One file per segment, both parties mixed: recorded on the first live leg, whose read stream is its
    // own party and whose write stream is what it hears (the other party once bridged).
    const first = channelIds
      .map((id) => this.#legs.get(id))
      .find((l) => l && l.status === "answered" && (l.ep || l.released || l.moving));
    if (first) await this.#withMedia(first);
    const leg = first?.ep && first.status === "answered" ? first : undefined;
    if (!leg?.ep) return;
    const path = join(this.#o.mediaDir, "recordings", `${safeName(recordingId)}.wav`);
    this.#recordings.set(recordingId, { leg, path });
    if (this.#o.recordingStereo !== false)
      await leg.ep.api("uuid_setvar", [leg.ep.uuid, "RECORD_STEREO", "true"]).catch(() => undefined);
    await leg.ep.api("uuid_record", [leg.ep.uuid, "start", path]).catch((err: unknown) => {
      this.#log("warn", "uuid_record start failed", { recordingId, error: describe(err) });
    });
  }

  async stopRecording(recordingId: string): Promise<void> {
    const rec = this.#recordings.get(recordingId);
    if (!rec) return;
    this.#recordings.delete(recordingId);
    if (rec.leg.status === "ended" || !rec.leg.ep) return;
    await rec.leg.ep.api("uuid_record", [rec.leg.ep.uuid, "stop", rec.path]).catch(() => undefined);
  }

  async recordVoicemail(recordingId: string, channelId: string, maxLengthSec: number): Promise<void> {
    const leg = this.#answered(channelId);
    if (!leg || leg.queue.some((j) => j.kind === "voicemail") || leg.current?.kind === "voicemail") return;
    const path = join(this.#o.mediaDir, "voicemail", `${safeName(recordingId)}.wav`);
    this.#enqueue(leg, { kind: "voicemail", recordingId, path, maxSec: maxLengthSec, finished: false });
  }

  /** Where a conversation recording or voicemail is written. */
  recordingPath(recordingId: string, kind: "conversation" | "voicemail" = "conversation"): string {
    return join(
      this.#o.mediaDir,
      kind === "voicemail" ? "voicemail" : "recordings",
      `${safeName(recordingId)}.wav`,
    );
  }

  /** The FreeSWITCH channel uuid of a leg's endpoint (tests, diagnostics). */
  endpointUuid(channelId: string): string | undefined {
    return this.#legs.get(channelId)?.ep?.uuid;
  }

  /** INVITEs admitted, and refused with 503 by the admission limits. */
  admissionStats(): AdmissionStats {
    return { ...this.#admission };
  }

  /** Removes a leg; an inbound one no longer counts against its source's calls up. */
  #dropLeg(leg: Leg): void {
    this.#legs.delete(leg.id);
    const source = this.#legSource.get(leg.id);
    if (source !== undefined) {
      this.#legSource.delete(leg.id);
      this.#perSource?.release(source);
    }
  }

  /**
   * Whether an INVITE may become a call: from a trunk's address, or from an agent phone with digest
   * credentials. A failed digest spends one of the source's per-second calls (`admission.perSource`), so
   * password guessing is as rate capped as calling.
   */
  #access(
    req: Srf.SrfRequest,
    source: string,
  ):
    | { kind: "ok"; trunk: string; caller?: string }
    | { kind: "challenge"; header: string }
    | { kind: "forbidden"; why: string }
    | { kind: "throttled"; retryAfterSec: number } {
    if (this.#trunks.size === 0 && this.#digest.size === 0)
      return this.#o.allowAnySource
        ? { kind: "ok", trunk: "default" }
        : { kind: "forbidden", why: "no trunks or phones configured" };
    const trunk = this.#trunks.match(source);
    if (trunk) return { kind: "ok", trunk };
    if (this.#digest.size === 0) return { kind: "forbidden", why: "no trunk" };
    if (this.#phoneSources && !this.#phoneSources.match(source))
      return { kind: "forbidden", why: "no trunk, not a phone network" };
    const now = this.#now();
    const verdict = this.#digest.verify({
      method: req.method,
      uri: req.uri,
      source,
      now,
      authorization: req.get("Authorization") || req.get("Proxy-Authorization") || undefined,
    });
    switch (verdict.kind) {
      case "ok":
        return { kind: "ok", trunk: `phone:${verdict.username}`, caller: verdict.username };
      case "challenge":
        return { kind: "challenge", header: this.#digest.challenge(now, source) };
      case "stale":
        return { kind: "challenge", header: this.#digest.challenge(now, source, true) };
      case "refused": {
        if (this.#perSource && !this.#perSource.spend(source, now)) {
          this.#admission.sourceOverRate++;
          return { kind: "throttled", retryAfterSec: 1 };
        }
        return { kind: "forbidden", why: `digest ${verdict.why}` };
      }
      default: {
        const never: never = verdict;
        throw new Error(`unknown digest verdict ${JSON.stringify(never)}`);
      }
    }
  }

  /** Why a new INVITE must be refused now, or undefined to take it. */
  #overloaded(): "overCalls" | "overRate" | "overMedia" | undefined {
    const maxCalls = this.#o.admission?.maxCalls ?? 500;
    let up = 0;
    for (const leg of this.#legs.values()) if (leg.direction === "inbound") up++;
    if (up >= maxCalls) return "overCalls";
    // Callers whose endpoint waits for its turn (the queue holds only those not started yet).
    const waiting = this.#endpointQueue.sizeBy({ priority: CALLER_TURN });
    if (waiting >= (this.#o.admission?.maxWaitingForMedia ?? 100)) return "overMedia";
    const rate = this.#o.admission?.maxCallsPerSec;
    if (rate === undefined) return undefined;
    const now = this.#now();
    this.#tokens = Math.min(rate, this.#tokens + ((now - this.#tokensAt) / 1000) * rate);
    this.#tokensAt = now;
    if (this.#tokens < 1) return "overRate";
    this.#tokens -= 1;
    return undefined;
  }

  refuseNewCalls(): void {
    this.#refusing = true;
  }

  /** The legs a killed previous process left and what `start()` did about them. */
  orphans(): OrphanReport {
    return this.#orphans;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const live = [...this.#legs.values()].filter((l) => l.status !== "ended");
    for (const leg of live) {
      if (leg.status === "answered") this.#end(leg, "hungUp", "driver closing", { bye: true, silent: true });
      else this.#abandon(leg, "cancelled", "driver closing", true);
    }
    this.#closed = true;
    this.#listeners.clear();
    this.#journal.close();
    // Let the BYEs and CANCELs leave before the connections close.
    if (live.length > 0) await new Promise((r) => setTimeout(r, 200));
    this.#disconnect();
  }

  /**
   * Drops the connections without ending anything, as a killed process does (tests of the restart path):
   * FreeSWITCH then hangs up the endpoints; the phones' dialogs stay up until they hang up.
   */
  detach(): void {
    this.#closed = true;
    this.#detached = true;
    this.#listeners.clear();
    for (const leg of this.#legs.values()) {
      leg.guard?.abort();
      // FreeSWITCH's outbound event-socket connection of the endpoint, as a dying process drops it.
      (leg.ep as unknown as { conn?: { socket?: { destroy(): void } } } | undefined)?.conn?.socket?.destroy();
    }
    // As a killed process leaves it: the next process ends the legs it records.
    this.#journal.close();
    this.#disconnect();
  }

  // ---- inbound ----

  async #onInvite(req: Srf.SrfRequest, res: Srf.SrfResponse): Promise<void> {
    if (this.#closed || !this.#ms) {
      res.send(503);
      return;
    }
    if (this.#refusing) {
      // Draining for shutdown: the carrier retries elsewhere (another gateway) rather than reach a process
      // that is about to go.
      if (++this.#admission.draining === 1)
        this.#log("info", "INVITE refused (503): the gateway is draining");
      res.send(503, { headers: { "Retry-After": "5" } });
      return;
    }
    const source = sourceAddress(req.source_address);
    const access = this.#access(req, source);
    if (access.kind !== "ok") {
      if (access.kind === "challenge") {
        this.#admission.challenged++;
        res.send(401, { headers: { "WWW-Authenticate": access.header } });
      } else if (access.kind === "forbidden") {
        const n = ++this.#admission.forbidden;
        if (n === 1 || n % 100 === 0)
          this.#log("warn", "INVITE refused (403)", { source, why: access.why, refused: n });
        res.send(403);
      } else {
        res.send(503, { headers: { "Retry-After": String(access.retryAfterSec) } });
      }
      return;
    }
    const { trunk, caller } = access;
    if (this.#perSource) {
      const verdict = this.#perSource.admit(source, this.#now(), this.#trunkLimits.get(trunk));
      if (verdict.kind !== "ok") {
        const counter = verdict.kind === "overCalls" ? "sourceOverCalls" : "sourceOverRate";
        const n = ++this.#admission[counter];
        if (n === 1 || n % 100 === 0)
          this.#log("warn", "INVITE refused (503): over the per-source limit", {
            source,
            limit: verdict.kind,
            refused: n,
          });
        res.send(503, { headers: { "Retry-After": String(verdict.retryAfterSec) } });
        return;
      }
    }
    const over = this.#overloaded();
    if (over) {
      this.#perSource?.release(source);
      // Shed before anything exists for the call: the caller's carrier retries or routes elsewhere.
      const n = ++this.#admission[over];
      if (n === 1 || n % 100 === 0)
        this.#log("warn", "INVITE refused (503): over the admission limit", { limit: over, refused: n });
      res.send(503, { headers: { "Retry-After": "5" } });
      return;
    }
    this.#admission.admitted++;
    const leg = this.#newLeg(`in-${this.#boot}-${++this.#inboundSeq}`, "inbound");
    if (this.#perSource) this.#legSource.set(leg.id, source);
    const socket = (req as unknown as { socket?: unknown }).socket;
    if (this.#o.drachtio.mode === "listen") {
      leg.socket = socket;
      this.#sessions.add(socket);
    }
    req.on("cancel", () => {
      // The caller gave up before the answer: nothing was reported yet, so nothing to report.
      leg.status = "ended";
      this.#dropLeg(leg);
      void leg.ep?.destroy().catch(() => undefined);
    });
    let ep: MediaEndpoint | undefined;
    try {
      // An INVITE without SDP (late offer): FreeSWITCH's offer goes in our 200 OK, the caller's answer
      // comes in the ACK and is given to the endpoint.
      const lateOffer = !req.body;
      ep = await this.#endpoint(this.#ms, lateOffer ? {} : { remoteSdp: req.body }, "caller");
      if (leg.status === "ended") {
        void ep.destroy().catch(() => undefined);
        return;
      }
      this.#attachEndpoint(leg, ep);
      const offer = lateOffer ? plainRtpOffer(localSdp(ep)) : localSdp(ep);
      const dialog = await this.#srf.createUAS(req, res, { localSdp: offer });
      leg.dialog = dialog;
      this.#watchDialog(leg, dialog);
      if (lateOffer) {
        const answer = await withTimeout(
          new Promise<string>((resolve) => dialog.once("ack", (ack) => resolve(ack.body ?? ""))),
          32_000,
          "the caller's ACK",
        );
        if (!answer) throw new Error("late-offer INVITE: the ACK carried no SDP");
        await ep.modify(answer);
      }
    } catch (err) {
      this.#log("warn", "inbound call not answered", { channelId: leg.id, error: describe(err) });
      this.#dropLeg(leg);
      if (leg.dialog) bye(leg.dialog);
      void ep?.destroy().catch(() => undefined);
      if (!res.finalResponseSent) res.send(503);
      return;
    }
    if ((leg.status as LegStatus) === "ended") {
      // Closed (or the caller cancelled) while it was being answered.
      if (leg.dialog) bye(leg.dialog);
      void ep.destroy().catch(() => undefined);
      return;
    }
    leg.status = "answered";
    this.#persist(leg);
    const from = caller ?? uriUser(req.callingNumber || req.get("From") || "anonymous");
    const to = uriUser(req.calledNumber || req.uri);
    this.#emit({ type: "inboundCall", channelId: leg.id, from, to, trunk, at: this.#now() });
    this.#pump(leg);
    if (leg.dialog) this.#hungUpAlready(leg, leg.dialog);
  }

  /**
   * A BYE that drachtio-srf handled in the same tick as the dialog's creation (the 200 OK's confirmation and
   * the BYE in one read from drachtio-server: a caller hanging up at once) emitted `destroy` before the
   * driver's listener was on: the dialog only says it is no longer connected. Seen in the overload test: the
   * call stayed open, its caller gone.
   */
  #hungUpAlready(leg: Leg, dialog: Srf.Dialog): void {
    if (leg.status !== "ended" && (dialog as unknown as { connected?: boolean }).connected === false)
      this.#remoteHangup(leg);
  }

  // ---- legs ----

  #newLeg(id: string, direction: Leg["direction"]): Leg {
    const leg: Leg = {
      id,
      direction,
      status: direction === "inbound" ? "trying" : "trying",
      holdPlaying: false,
      queue: [],
      pumping: false,
      playbackIds: new Set(),
      ...(direction === "outbound" ? { codes: new DtmfCodeMatcher(this.#codes) } : {}),
    };
    this.#legs.set(id, leg);
    return leg;
  }

  #attachEndpoint(leg: Leg, ep: MediaEndpoint): void {
    leg.ep = ep;
    // The survivor of a bridge whose other party hung up stays up, parked, for the router to decide.
    // One event-socket round trip (multiset) for both.
    void ep.set({ park_after_bridge: "true", hangup_after_bridge: "false" }).catch(() => undefined);
    dropUnreadEvents(ep);
    ep.on("dtmf", ({ dtmf }) => this.#digit(leg, dtmf));
    // A uuid_break sent while FreeSWITCH had not started the playback yet (its execute still queued) breaks
    // nothing: when that playback starts and is no longer wanted, break it again.
    ep.on("playback-start", () => {
      const job = leg.current;
      const unwantedPrompt = job?.kind === "play" && job.stopped;
      const unwantedHold =
        leg.holdPlaying &&
        (leg.queue.length > 0 || leg.hold !== leg.holdCurrent || leg.bridgedTo !== undefined);
      if (unwantedPrompt || unwantedHold) void this.#break(leg);
    });
    ep.on("destroy", () => {
      // An endpoint the driver let go of (media release) ends nothing.
      if (leg.status !== "ended" && leg.ep === ep)
        this.#end(leg, "failed", "media server ended the channel", { bye: true });
    });
  }

  #watchDialog(leg: Leg, dialog: Srf.Dialog): void {
    dialog.on("destroy", () => {
      if (leg.status !== "ended") this.#remoteHangup(leg);
    });
    dialog.on("info", (req, res) => {
      const digit = dtmfFromInfo(req.get("Content-Type"), req.body ?? "");
      res.send(200);
      if (digit) this.#digit(leg, digit);
    });
    // A phone's re-INVITE (hold / resume, codec change): FreeSWITCH's endpoint answers it.
    dialog.on("modify", (req, res) => {
      if (leg.released || leg.moving) void this.#withMedia(leg, { req, res });
      else this.#answerReinvite(leg, req, res);
    });
    dialog.on("refer", (req, res) => this.#onRefer(leg, dialog, req, res));
  }

  /** REFER from an agent's phone: a blind transfer of the caller to the Refer-To target. */
  #onRefer(leg: Leg, dialog: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const referTo = req.get("Refer-To") ?? "";
    if (leg.direction !== "outbound" || !referTo) {
      res.send(leg.direction === "outbound" ? 400 : 603);
      return;
    }
    res.send(202);
    const target = uriUser(referTo.replace(/^[^<]*</, "<"));
    this.#emit({
      type: "agentTransfer",
      channelId: leg.id,
      action: "start",
      mode: "blind",
      target,
      at: this.#now(),
    });
    // The platform takes it from here; the phone may hang up.
    dialog
      .request({
        method: "NOTIFY",
        headers: {
          Event: "refer",
          "Subscription-State": "terminated;reason=noresource",
          "Content-Type": "message/sipfrag;version=2.0",
        },
        body: "SIP/2.0 200 OK",
      } as unknown as Srf.SrfRequest)
      .catch(() => undefined);
  }

  #digit(leg: Leg, digit: string): void {
    if (leg.status !== "answered") return;
    this.#emit({ type: "dtmf", channelId: leg.id, digit, at: this.#now() });
    const action = leg.codes?.push(digit, this.#now());
    if (!action) return;
    if (action.action === "start")
      this.#emit({
        type: "agentTransfer",
        channelId: leg.id,
        action: "start",
        mode: "warm",
        target: action.target,
        at: this.#now(),
      });
    else this.#emit({ type: "agentTransfer", channelId: leg.id, action: action.action, at: this.#now() });
  }

  /** The leg is given up before its answer: CANCEL (once the INVITE is out), report it at once. */
  #abandon(leg: Leg, reason: LegEndReason, detail: string = reason, silent = false): void {
    if (leg.status === "ended") return;
    leg.abandoned = reason;
    if (leg.invite) this.#sendCancel(leg);
    this.#end(leg, reason, detail, { silent });
  }

  /**
   * What an outgoing INVITE reports before its answer: the request (kept to CANCEL it; a leg abandoned
   * before the INVITE was out is cancelled as soon as there is something to cancel) and ringing.
   */
  #uacProgress(leg: Leg) {
    return {
      // drachtio-srf calls it as (err, req).
      cbRequest: ((err: unknown, req: Srf.SrfRequest) => {
        if (err || !req) return;
        leg.invite = req;
        if (leg.abandoned) this.#sendCancel(leg);
      }) as unknown as (req: Srf.SrfRequest) => void,
      cbProvisional: (res: Srf.SrfResponse) => {
        if ((res.status === 180 || res.status === 183) && leg.status === "trying") {
          leg.status = "ringing";
          this.#emit({ type: "ringing", channelId: leg.id, at: this.#now() });
        }
      },
    };
  }

  #sendCancel(leg: Leg): void {
    const invite = leg.invite;
    if (!invite) return;
    try {
      invite.cancel((err: unknown) => {
        if (err) this.#log("info", "CANCEL not sent", { channelId: leg.id, error: describe(err) });
      });
    } catch (err) {
      this.#log("info", "CANCEL not sent", { channelId: leg.id, error: describe(err) });
    }
  }

  /** The voicemail message is complete: reported once, whether the recording or the caller ended it. */
  #finishRecording(leg: Leg, job: { finished: boolean; readonly recordingId: string }): void {
    job.finished = true;
    this.#emit({
      type: "recordingFinished",
      channelId: leg.id,
      recordingId: job.recordingId,
      at: this.#now(),
    });
  }

  /** The party hung up (BYE). A caller leaving a voicemail leaves the message: it finishes first. */
  #remoteHangup(leg: Leg): void {
    const job = leg.current;
    if (job?.kind === "voicemail" && !job.finished) {
      this.#finishRecording(leg, job);
    }
    this.#end(leg, "hungUp", "remote BYE", {});
  }

  #end(leg: Leg, reason: LegEndReason, detail: string, how: { bye?: boolean; silent?: boolean }): void {
    if (leg.status === "ended" || this.#detached) return;
    leg.status = "ended";
    leg.guard?.abort();
    leg.releaseTimer?.abort();
    leg.queue.length = 0;
    delete leg.hold;
    const peer = leg.bridgedTo === undefined ? undefined : this.#legs.get(leg.bridgedTo);
    if (peer?.bridgedTo === leg.id) {
      delete peer.bridgedTo;
      this.#pump(peer);
    }
    delete leg.bridgedTo;
    for (const [id, rec] of this.#recordings) if (rec.leg === leg) this.#recordings.delete(id);
    if (how.bye && leg.dialog) {
      try {
        if (leg.dialog) bye(leg.dialog);
      } catch (err) {
        this.#log("info", "BYE not sent", { channelId: leg.id, error: describe(err) });
      }
    }
    void leg.ep?.destroy().catch(() => undefined);
    this.#forget(leg);
    if (!how.silent) this.#emit({ type: "ended", channelId: leg.id, reason, detail, at: this.#now() });
    // Only the id is kept (a late or repeated command for it is ignored): a long-running gateway does not
    // accumulate its calls.
    this.#dropLeg(leg);
    this.#endedIds.add(leg.id);
    if (this.#endedIds.size > 100_000) {
      const oldest = this.#endedIds.values().next().value;
      if (oldest !== undefined) this.#endedIds.delete(oldest);
    }
    if (this.#o.drachtio.mode === "listen") this.#releaseIdleSessions();
  }

  /**
   * Listen mode: drachtio-server opened one connection per inbound INVITE. Once no leg is up, none is needed
   * any more; while any is, they stay (an agent leg's requests may ride on any of them).
   */
  #releaseIdleSessions(): void {
    if (this.#legs.size > 0) return;
    for (const socket of this.#sessions) {
      try {
        (this.#srf as unknown as { endSession(r: unknown): void }).endSession({ socket });
      } catch {
        // Already closed.
      }
    }
    this.#sessions.clear();
  }

  // ---- what survives the process: one record per answered leg ----

  #persist(leg: Leg): void {
    const dialog = leg.dialog;
    const ep = leg.ep;
    if (!dialog || (!ep && !leg.released)) return;
    this.#journal.up({
      channelId: leg.id,
      dialogId: dialogId(dialog),
      callId: dialog.sip.callId,
      ...(ep ? { endpointUuid: ep.uuid, endpointDialogId: dialogId(ep.dialog) } : {}),
      boot: this.#boot,
    });
  }

  #forget(leg: Leg): void {
    this.#journal.down(leg.id);
  }

  /**
   * Legs a previous process of this gateway left up (it was killed; drachtio-server and FreeSWITCH kept
   * running): BYE each phone's dialog, which drachtio-server still holds, and kill each endpoint's
   * FreeSWITCH channel. Their calls are told by the gateway (`channelExists` is false: reported failed).
   */
  async #endOrphans(): Promise<OrphanReport> {
    const { legs, files } = leftBehind(this.#stateDir, this.#journal.file);
    let byesSent = 0;
    let channelsKilled = 0;
    for (const record of legs) {
      // In-dialog (drachtio-server fills in the dialog's Call-ID, tags, CSeq and route), as Dialog#destroy does.
      const srf = this.#srf as unknown as { request(opts: Record<string, unknown>): Promise<unknown> };
      const bye = await srf
        .request({ uri: "sip:placeholder", method: "BYE", stackDialogId: record.dialogId })
        .then(
          () => true,
          () => false,
        );
      if (bye) byesSent++;
      const killed =
        record.endpointUuid !== undefined &&
        (await this.#media()
          .api(`uuid_kill ${record.endpointUuid}`)
          .then(
            (r) => r.startsWith("+OK"),
            () => false,
          ));
      if (killed) channelsKilled++;
      this.#log("warn", "a leg left by a previous process was ended", { ...record, bye, killed });
    }
    removeFiles(files);
    return { found: legs.length, byesSent, channelsKilled };
  }

  // ---- media jobs: one FreeSWITCH application at a time per endpoint ----

  #enqueue(leg: Leg, job: Job): void {
    if (job.kind === "play") {
      leg.playbackIds.add(job.playbackId);
      job.arg.catch(() => undefined);
    }
    leg.queue.push(job);
    // A prompt interrupts hold music, which resumes after it.
    if (leg.holdPlaying) void this.#break(leg);
    else this.#pump(leg);
  }

  #pump(leg: Leg): void {
    if ((leg.released || leg.moving) && leg.status === "answered" && (leg.queue.length > 0 || leg.hold)) {
      // Something to play on a leg whose media went phone to phone: an endpoint first.
      void this.#withMedia(leg).then(() => {
        if (leg.ep) this.#pump(leg);
      });
      return;
    }
    if (leg.pumping || leg.status !== "answered" || !leg.ep) return;
    leg.pumping = true;
    void this.#runJobs(leg).finally(() => {
      leg.pumping = false;
    });
  }

  async #runJobs(leg: Leg): Promise<void> {
    const ep = leg.ep;
    if (!ep) return;
    while (leg.status === "answered" && !this.#closed) {
      const job = leg.queue.shift();
      if (job) {
        leg.current = job;
        await this.#runJob(leg, ep, job);
        delete leg.current;
        continue;
      }
      if (!leg.hold || leg.bridgedTo !== undefined) return;
      const hold = leg.hold;
      let arg: string;
      try {
        arg = await hold;
      } catch (err) {
        this.#log("warn", "hold music unavailable", { channelId: leg.id, error: describe(err) });
        if (leg.hold === hold) delete leg.hold;
        continue;
      }
      if (leg.hold !== hold || leg.queue.length > 0) continue;
      leg.holdPlaying = true;
      leg.holdCurrent = hold;
      const started = this.#clock.now();
      try {
        await ep.play(arg);
      } catch (err) {
        this.#log("warn", "hold music failed", { channelId: leg.id, error: describe(err) });
        if (leg.hold === hold) delete leg.hold;
      } finally {
        leg.holdPlaying = false;
      }
      // A file that ends at once (empty, unreadable) must not spin: give up on it.
      if (leg.hold === hold && leg.queue.length === 0 && this.#clock.now() - started < 50) {
        this.#log("warn", "hold music ended at once: stopped", { channelId: leg.id });
        delete leg.hold;
      }
    }
  }

  async #runJob(leg: Leg, ep: MediaEndpoint, job: Job): Promise<void> {
    if (job.kind === "play") {
      try {
        const arg = await job.arg;
        if (!job.stopped && leg.status === "answered") await ep.play(arg);
      } catch (err) {
        // A prompt that cannot be played is skipped (the call goes on); it still "finishes".
        this.#log("warn", "playback failed", {
          channelId: leg.id,
          playbackId: job.playbackId,
          error: describe(err),
        });
      }
      if (!job.stopped && leg.status === "answered")
        this.#emit({
          type: "playbackFinished",
          channelId: leg.id,
          playbackId: job.playbackId,
          at: this.#now(),
        });
      return;
    }
    try {
      await ep.record(job.path, { timeLimitSecs: Math.max(1, Math.round(job.maxSec)) });
    } catch (err) {
      this.#log("warn", "voicemail recording failed", { channelId: leg.id, error: describe(err) });
    }
    if (!job.finished && leg.status === "answered") {
      this.#finishRecording(leg, job);
    }
  }

  /** Stops what the endpoint is playing now (FreeSWITCH `uuid_break`). */
  async #break(leg: Leg): Promise<void> {
    const ep = leg.ep;
    if (!ep || leg.status === "ended") return;
    await ep.api("uuid_break", ep.uuid).catch(() => undefined);
  }

  // ---- media release: bridged phones talk directly; re-anchored on FreeSWITCH when media is needed ----

  /** What `mediaRelease` did so far. */
  mediaReleaseStats(): MediaReleaseStats {
    return { ...this.#releaseStats };
  }

  #scheduleRelease(x: Leg, y: Leg): void {
    if (this.#o.mediaRelease !== "afterBridge") return;
    x.releaseTimer?.abort();
    y.releaseTimer?.abort();
    // A pause first: what a bridge's decision commands with it (a recording, a prompt) comes in its wake,
    // and needs the endpoints.
    const timer = this.#after(this.#o.mediaReleaseDelayMs ?? 1_000, () => {
      if (x.releaseTimer === timer) void this.#releasePair(x, y);
    });
    x.releaseTimer = timer;
    y.releaseTimer = timer;
  }

  /** Both answered, bridged to each other on FreeSWITCH, and nothing playing, queued or recording on either. */
  #releasable(x: Leg, y: Leg): boolean {
    const busy = (l: Leg) =>
      l.status !== "answered" ||
      !l.ep ||
      !l.dialog ||
      l.moving !== undefined ||
      l.queue.length > 0 ||
      l.current !== undefined ||
      l.hold !== undefined ||
      l.holdPlaying;
    if (x.bridgedTo !== y.id || y.bridgedTo !== x.id || busy(x) || busy(y)) return false;
    for (const rec of this.#recordings.values()) if (rec.leg === x || rec.leg === y) return false;
    return true;
  }

  async #releasePair(x: Leg, y: Leg): Promise<void> {
    if (!this.#releasable(x, y)) return;
    const moving = this.#exchangeMedia(x, y);
    x.moving = moving;
    y.moving = moving;
    try {
      await moving;
    } finally {
      if (x.moving === moving) delete x.moving;
      if (y.moving === moving) delete y.moving;
    }
  }

  /**
   * y's phone is offered x's phone's media, then x's phone y's answer (a third re-INVITE when x answered with
   * other media than y was told); then both endpoints end. A phone that refuses leaves the pair on FreeSWITCH.
   */
  async #exchangeMedia(x: Leg, y: Leg): Promise<void> {
    const xd = x.dialog;
    const yd = y.dialog;
    if (!xd || !yd) return;
    const toY = xd.remote.sdp;
    let fromY: string;
    try {
      fromY = await yd.modify(continueOrigin(toY, yd.local.sdp));
    } catch (err) {
      this.#releaseRefused(y, err);
      return;
    }
    let fromX: string;
    try {
      fromX = await xd.modify(continueOrigin(fromY, xd.local.sdp));
    } catch (err) {
      this.#releaseRefused(x, err);
      // y's phone sends to x's phone now: back to y's endpoint.
      if (y.ep && y.status === "answered")
        await yd.modify(continueOrigin(localSdp(y.ep), yd.local.sdp)).catch(() => undefined);
      return;
    }
    if (!sameMediaTarget(fromX, toY) && y.status === "answered")
      await yd.modify(continueOrigin(fromX, yd.local.sdp)).catch((err: unknown) => {
        this.#log("warn", "media release: the new media was not taken", {
          channelId: y.id,
          error: describe(err),
        });
      });
    this.#releaseStats.released++;
    for (const [leg, peer] of [
      [x, y],
      [y, x],
    ] as const) {
      const ep = leg.ep;
      if (leg.status !== "answered" || !ep) continue;
      delete leg.ep;
      leg.released = true;
      leg.releasedWith = peer.id;
      void ep.destroy().catch(() => undefined);
      this.#persist(leg);
    }
  }

  #releaseRefused(leg: Leg, err: unknown): void {
    this.#releaseStats.refused++;
    this.#log("info", "media release refused: the pair stays on FreeSWITCH", {
      channelId: leg.id,
      error: describe(err),
    });
  }

  /**
   * Waits for a release or re-anchoring of the leg under way; then a released leg, and its peer if that is
   * still released, get FreeSWITCH endpoints again (bridged again if they still are bridged). `incoming`: the
   * phone's own re-INVITE, answered with its new endpoint's SDP.
   */
  async #withMedia(leg: Leg, incoming?: { req: Srf.SrfRequest; res: Srf.SrfResponse }): Promise<void> {
    leg.releaseTimer?.abort();
    while (leg.moving) await leg.moving.catch(() => undefined);
    if (!leg.released || leg.status !== "answered") {
      if (incoming) this.#answerReinvite(leg, incoming.req, incoming.res);
      return;
    }
    const peer = leg.releasedWith === undefined ? undefined : this.#legs.get(leg.releasedWith);
    const pair = peer?.released && peer.status === "answered" ? [leg, peer] : [leg];
    const moving = this.#anchor(pair, incoming);
    for (const l of pair) l.moving = moving;
    try {
      await moving;
    } finally {
      for (const l of pair) if (l.moving === moving) delete l.moving;
    }
  }

  async #anchor(
    pair: Leg[],
    incoming: { req: Srf.SrfRequest; res: Srf.SrfResponse } | undefined,
  ): Promise<void> {
    await Promise.all(pair.map((l, i) => this.#anchorLeg(l, i === 0 ? incoming : undefined)));
    const [a, b] = pair;
    if (a?.ep && b?.ep && a.bridgedTo === b.id && b.bridgedTo === a.id)
      await a.ep.bridge(b.ep.uuid).catch((err: unknown) => {
        this.#log("warn", "uuid_bridge after re-anchoring failed", {
          a: a.id,
          b: b.id,
          error: describe(err),
        });
      });
  }

  /** A new endpoint for the phone's current media, and the phone re-INVITEd to it (or its re-INVITE answered). */
  async #anchorLeg(
    leg: Leg,
    incoming: { req: Srf.SrfRequest; res: Srf.SrfResponse } | undefined,
  ): Promise<void> {
    const dialog = leg.dialog;
    if (!dialog) return;
    const phoneSdp = incoming?.req.body || dialog.remote.sdp;
    let ep: MediaEndpoint;
    try {
      ep = await this.#endpoint(this.#media(), { remoteSdp: phoneSdp }, "answered agent");
    } catch (err) {
      incoming?.res.send(488);
      this.#end(leg, "failed", `FreeSWITCH endpoint: ${describe(err)}`, { bye: true });
      return;
    }
    if (leg.status !== "answered") {
      incoming?.res.send(481);
      void ep.destroy().catch(() => undefined);
      return;
    }
    delete leg.released;
    delete leg.releasedWith;
    this.#attachEndpoint(leg, ep);
    this.#releaseStats.reanchored++;
    try {
      const ours = continueOrigin(localSdp(ep), dialog.local.sdp);
      if (incoming) {
        incoming.res.send(200, { body: ours });
        dialog.local.sdp = ours;
      } else {
        const answer = await dialog.modify(ours);
        if (!sameMediaTarget(answer, phoneSdp)) await ep.modify(answer);
      }
    } catch (err) {
      this.#end(leg, "failed", `media re-anchoring: ${describe(err)}`, { bye: true });
      return;
    }
    this.#persist(leg);
  }

  /** A phone's re-INVITE (hold / resume, codec change) on an anchored leg: FreeSWITCH's endpoint answers it. */
  #answerReinvite(leg: Leg, req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    const ep = leg.ep;
    if (!ep) {
      res.send(488);
      return;
    }
    ep.modify(req.body).then(
      (sdp) => res.send(200, { body: neutralSdp(sdp) }),
      (err: unknown) => {
        this.#log("warn", "re-INVITE refused by FreeSWITCH", { channelId: leg.id, error: describe(err) });
        res.send(488);
      },
    );
  }

  // ---- plumbing ----

  #media(): Mrf.MediaServer {
    if (!this.#ms) throw new Error("drachtio driver not started (call start())");
    return this.#ms;
  }

  #live(channelId: string): Leg | undefined {
    const leg = this.#legs.get(channelId);
    return leg && leg.status !== "ended" ? leg : undefined;
  }

  /** Media needs an answered leg (no early media). */
  #answered(channelId: string): Leg | undefined {
    const leg = this.#live(channelId);
    return leg?.status === "answered" ? leg : undefined;
  }

  #after(ms: number, fn: () => void): AbortController {
    const ac = new AbortController();
    this.#clock.sleep(ms, ac.signal).then(
      () => {
        if (!this.#closed) fn();
      },
      () => undefined,
    );
    return ac;
  }

  #now(): number {
    return this.#clock.now();
  }

  #emit(event: DriverEvent): void {
    if (this.#closed) return;
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#log("error", "driver event listener threw", { error: describe(err) });
      }
    }
  }

  #disconnect(): void {
    this.#parked?.close();
    try {
      this.#ms?.disconnect();
    } catch {
      // Already gone.
    }
    try {
      this.#srf.disconnect();
    } catch {
      // Already gone.
    }
    this.#routeServer?.close();
  }
}

/** drachtio-server's `--http-handler`: every new request is routed to this driver's listening port. */
function serveRoute(host: string, port: number, appPort: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ action: "route", data: { uri: `${host}:${appPort}` } }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}

/**
 * FreeSWITCH's SDP for the endpoint: drachtio-fsmrf reads it from the channel when the event socket connects,
 * which for an offer answered later (our `uuid_answer`) is still empty; the 200 OK FreeSWITCH sent has it.
 */
function localSdp(ep: MediaEndpoint): string {
  return neutralSdp(ep.local.sdp || ep.dialog.remote.sdp);
}

/**
 * Events drachtio-fsmrf 4.1.2 subscribes each endpoint's event socket to that neither it nor this driver
 * reads: it waits on CHANNEL_EXECUTE_COMPLETE (kept), never on CHANNEL_EXECUTE, and handles CHANNEL_CALLSTATE
 * only for DTLS media (none here). Each is a JSON event carrying every channel variable (~10 kB) that
 * FreeSWITCH serialises and the gateway parses, several per call: under load a good share of both processes'
 * CPU, and the gateway's slowness there is what keeps new channels of FreeSWITCH waiting (in a 1 ms sleep
 * loop) for their event socket's `connect`.
 */
const UNREAD_EVENTS = "CHANNEL_EXECUTE CHANNEL_CALLSTATE CHANNEL_ANSWER CHANNEL_PROGRESS_MEDIA";

function dropUnreadEvents(ep: MediaEndpoint): void {
  // The endpoint's modesl connection (`conn`, not in the declarations); `nixevent` undoes part of `event`.
  const conn = (ep as unknown as { conn?: { sendRecv?(command: string): void } }).conn;
  conn?.sendRecv?.(`nixevent ${UNREAD_EVENTS}`);
}

/** drachtio-server's id of a dialog (drachtio-srf's Dialog#id, not in its type declarations). */
function dialogId(dialog: Srf.Dialog): string {
  return (dialog as unknown as { id: string }).id;
}

/** BYE; a dialog the server already forgot (the other side hung up at the same moment) is fine. */
function bye(dialog: Srf.Dialog): void {
  const p = dialog.destroy() as unknown;
  if (p instanceof Promise) p.catch(() => undefined);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function sipStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | undefined)?.status;
  return typeof status === "number" ? status : undefined;
}

function sipReason(err: unknown): string {
  const reason = (err as { reason?: unknown } | undefined)?.reason;
  return typeof reason === "string" ? reason : "";
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Recording ids become file names: anything but letters, digits, `-`, `_`, `.` is replaced. */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_");
}
