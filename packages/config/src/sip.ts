import type { ConfigProblem } from "./errors.js";

/**
 * The SIP side of a media gateway: where drachtio-server and FreeSWITCH are, which trunks may send calls, and
 * the agent DTMF codes. Present only when configured (YAML section `sip`, or the `--drachtio*` flags);
 * without it the gateway runs the simulated driver.
 */
export interface SipConfig {
  readonly drachtio:
    | { readonly mode: "connect"; readonly host: string; readonly port: number; readonly secret: string }
    | {
        readonly mode: "listen";
        readonly host: string;
        readonly port: number;
        readonly secret: string;
        readonly routeHandlerPort: number | undefined;
      };
  readonly freeswitch: {
    readonly address: string;
    readonly port: number;
    readonly password: string;
    /** Where FreeSWITCH's outbound event-socket connections reach this process (default 127.0.0.1). */
    readonly listenAddress: string;
  };
  /** Domain of the caller-id URIs presented to agents. */
  readonly domain: string;
  readonly callerIdHeaders: "both" | "from" | "pai";
  /** `sip.trunks`: who may call in without authentication, by source address; `perSource` overrides
   * `admission.perSource` for each of the trunk's addresses. */
  readonly trunks: ReadonlyArray<{
    readonly name: string;
    readonly sources: readonly string[];
    readonly perSource?: { readonly maxCalls?: number; readonly maxCallsPerSec?: number };
  }>;
  /**
   * `sip.phones`: agent phones that may call in from any address with SIP digest credentials (`username`, and
   * `password` or `passwordEnv`, the name of an environment variable holding it). With trunks or phones
   * configured, an INVITE from neither is refused (403, or a 401 challenge when phones exist).
   */
  readonly phones: ReadonlyArray<{ readonly username: string; readonly password: string }>;
  /**
   * `sip.allowAnySource` (or SWITCHYARD_SIP_ALLOW_ANY_SOURCE=1): with neither trunks nor phones, accept INVITEs
   * from anywhere. Off by default: without trunks or phones every inbound INVITE is refused (403).
   */
  readonly allowAnySource: boolean;
  /**
   * `sip.digest`: realm (default: the domain) and algorithm of the challenges (MD5 default, or SHA-256);
   * `sources`: addresses/CIDRs phones may call from (default any; elsewhere: 403 without a challenge).
   */
  readonly digest: {
    readonly realm?: string;
    readonly algorithm?: "MD5" | "SHA-256";
    readonly sources?: readonly string[];
  };
  /** `host[:port]` that phone-number contacts are sent to. */
  readonly outboundGateway: string | undefined;
  /** TTS cache, recordings and voicemail (default `<data dir>/media` or `./switchyard-media`). */
  readonly mediaDir: string;
  readonly dtmf: {
    readonly start: string;
    readonly complete: string;
    readonly cancel: string;
    readonly terminator: string;
  };
  /** Short codes an agent can dial or REFER to: `"200": "group:support"`, `"100": "agent:ann"`, `"+1555..."`. */
  readonly transferTargets: Readonly<Record<string, string>>;
  /**
   * Admission control (`sip.admission`): INVITEs beyond these get 503 before anything is recorded. Unset:
   * the driver's defaults (500 calls up at once, no rate limit).
   */
  readonly admission: {
    readonly maxCalls?: number;
    readonly maxCallsPerSec?: number;
    /** `sip.admission.perSource`: the same caps per source address, checked first. */
    readonly perSource?: { readonly maxCalls?: number; readonly maxCallsPerSec?: number };
    /** `sip.admission.maxSources`: source addresses remembered for `perSource` (default 10 000). */
    readonly maxSources?: number;
  };
  /** `sip.agentOffer`: late (default) or early SDP offer on agent legs (see the media gateway README). */
  readonly agentOffer: "late" | "early";
  /** `sip.endpointsInFlight`: FreeSWITCH endpoints created at once (unset: the driver's default, 16). */
  readonly endpointsInFlight: number | undefined;
}

type Raw = Readonly<Record<string, unknown>>;

const HOSTPORT_RE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const DTMF_RE = /^[0-9A-D*#]+$/;
const IP_OR_CIDR = /^[0-9a-fA-F.:]+(\/\d{1,3})?$/;
const TARGET_RE = /^(agent:[^\s]+|group:[^\s]+|\+[1-9]\d{1,14})$/;

export interface SipSources {
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The YAML `sip` section (already checked to be a mapping, or empty). */
  readonly file: Raw;
  readonly fileName: string;
  readonly dataDir: string | undefined;
}

/**
 * Flags win over environment, which wins over the file. The SIP driver is configured when any of the
 * drachtio settings is present (`--drachtio`, `--drachtio-listen`, `SWITCHYARD_DRACHTIO`, `sip.drachtio`).
 */
export function loadSipConfig(src: SipSources, problems: ConfigProblem[]): SipConfig | undefined {
  const { flags, env, file, fileName } = src;
  const flag = (k: string) => (typeof flags[k] === "string" ? (flags[k] as string) : undefined);
  const problem = (path: string, reason: string, source = fileName) =>
    problems.push({ source, path, reason });
  const section = (key: string): Raw => {
    const v = file[key];
    if (v === undefined || v === null) return {};
    if (typeof v === "object" && !Array.isArray(v)) return v as Raw;
    problem(`sip.${key}`, "must be a mapping");
    return {};
  };
  const text = (raw: Raw, key: string, path: string): string | undefined => {
    const v = raw[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string" || typeof v === "number") return String(v);
    problem(path, "must be a string");
    return undefined;
  };
  const port = (value: string | undefined, path: string, source: string): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      problem(path, `invalid port "${value}"`, source);
      return undefined;
    }
    return n;
  };
  const hostPort = (
    value: string,
    path: string,
    source: string,
  ): { host: string; port: number } | undefined => {
    const m = HOSTPORT_RE.exec(value);
    const p = m ? port(m[2], path, source) : undefined;
    if (!m || p === undefined) {
      if (!m) problem(path, `expected host:port, got "${value}"`, source);
      return undefined;
    }
    return { host: m[1]!.replace(/^\[|\]$/g, ""), port: p };
  };

  const d = section("drachtio");
  const f = section("freeswitch");
  const connectText =
    flag("drachtio") ??
    env.SWITCHYARD_DRACHTIO ??
    (d.host !== undefined
      ? `${text(d, "host", "sip.drachtio.host")}:${text(d, "port", "sip.drachtio.port") ?? "9022"}`
      : undefined);
  const listenText =
    flag("drachtio-listen") ??
    env.SWITCHYARD_DRACHTIO_LISTEN ??
    text(d, "listenPort", "sip.drachtio.listenPort");
  if (connectText === undefined && listenText === undefined) {
    if (Object.keys(file).length > 0)
      problem(
        "sip.drachtio",
        "the sip section needs drachtio.host (the app connects) or drachtio.listenPort (drachtio-server connects)",
      );
    return undefined;
  }
  const connectSource =
    flag("drachtio") !== undefined ? "flags" : env.SWITCHYARD_DRACHTIO !== undefined ? "env" : fileName;
  const listenSource =
    flag("drachtio-listen") !== undefined
      ? "flags"
      : env.SWITCHYARD_DRACHTIO_LISTEN !== undefined
        ? "env"
        : fileName;
  const secret =
    flag("drachtio-secret") ??
    env.SWITCHYARD_DRACHTIO_SECRET ??
    text(d, "secret", "sip.drachtio.secret") ??
    "cymru";
  let drachtio: SipConfig["drachtio"] | undefined;
  if (connectText !== undefined && listenText !== undefined) {
    problem(
      "sip.drachtio",
      "choose one mode: host/port (connect) or listenPort (listen), not both",
      listenSource,
    );
  } else if (connectText !== undefined) {
    const hp = hostPort(connectText, "sip.drachtio", connectSource);
    if (hp) drachtio = { mode: "connect", host: hp.host, port: hp.port, secret };
  } else {
    const p = port(listenText, "sip.drachtio.listenPort", listenSource);
    const routeText = text(d, "routeHandlerPort", "sip.drachtio.routeHandlerPort");
    const route = port(routeText, "sip.drachtio.routeHandlerPort", fileName);
    if (p !== undefined)
      drachtio = {
        mode: "listen",
        host: text(d, "listenHost", "sip.drachtio.listenHost") ?? "127.0.0.1",
        port: p,
        secret,
        routeHandlerPort: route,
      };
  }

  const fsText =
    flag("freeswitch") ??
    env.SWITCHYARD_FREESWITCH ??
    `${text(f, "address", "sip.freeswitch.address") ?? "127.0.0.1"}:${text(f, "port", "sip.freeswitch.port") ?? "8021"}`;
  const fsSource =
    flag("freeswitch") !== undefined ? "flags" : env.SWITCHYARD_FREESWITCH !== undefined ? "env" : fileName;
  const fsHp = hostPort(fsText, "sip.freeswitch", fsSource);
  const password =
    flag("freeswitch-password") ??
    env.SWITCHYARD_FREESWITCH_PASSWORD ??
    text(f, "password", "sip.freeswitch.password") ??
    "ClueCon";

  const callerIdHeaders = text(file, "callerIdHeaders", "sip.callerIdHeaders") ?? "both";
  if (!["both", "from", "pai"].includes(callerIdHeaders))
    problem("sip.callerIdHeaders", `expected both, from or pai, got "${callerIdHeaders}"`);

  const positive = (raw: Raw, key: string, path: string): number | undefined => {
    const v = text(raw, key, path);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0) || !Number.isFinite(n)) {
      problem(path, `must be a positive number, got "${v}"`);
      return undefined;
    }
    return n;
  };
  /** `{maxCalls, maxCallsPerSec}` at `path` (absent: {}). */
  const callLimits = (v: unknown, path: string): { maxCalls?: number; maxCallsPerSec?: number } => {
    if (v === undefined || v === null) return {};
    if (typeof v !== "object" || Array.isArray(v)) {
      problem(path, "must be a mapping of maxCalls, maxCallsPerSec");
      return {};
    }
    const calls = positive(v as Raw, "maxCalls", `${path}.maxCalls`);
    const rate = positive(v as Raw, "maxCallsPerSec", `${path}.maxCallsPerSec`);
    return {
      ...(calls === undefined ? {} : { maxCalls: Math.floor(calls) }),
      ...(rate === undefined ? {} : { maxCallsPerSec: rate }),
    };
  };

  const trunks: Array<{
    name: string;
    sources: string[];
    perSource?: { maxCalls?: number; maxCallsPerSec?: number };
  }> = [];
  const rawTrunks = file.trunks;
  if (rawTrunks !== undefined && rawTrunks !== null) {
    if (!Array.isArray(rawTrunks)) problem("sip.trunks", "must be a list of {name, sources}");
    else
      rawTrunks.forEach((t: unknown, i) => {
        const path = `sip.trunks[${i}]`;
        const o = (t ?? {}) as Raw;
        const name = typeof o.name === "string" && o.name !== "" ? o.name : undefined;
        if (!name) problem(`${path}.name`, "required");
        const sources = typeof o.sources === "string" ? [o.sources] : o.sources;
        if (!Array.isArray(sources) || sources.length === 0 || !sources.every((s) => typeof s === "string"))
          problem(`${path}.sources`, "a list of IP addresses or CIDRs is required");
        else {
          for (const s of sources as string[])
            if (!IP_OR_CIDR.test(s)) problem(`${path}.sources`, `"${s}" is not an IP address or CIDR`);
          const limits = callLimits(o.perSource, `${path}.perSource`);
          if (name)
            trunks.push({
              name,
              sources: sources as string[],
              ...(Object.keys(limits).length === 0 ? {} : { perSource: limits }),
            });
        }
      });
  }

  const phones: Array<{ username: string; password: string }> = [];
  const rawPhones = file.phones;
  if (rawPhones !== undefined && rawPhones !== null) {
    if (!Array.isArray(rawPhones))
      problem("sip.phones", "must be a list of {username, password | passwordEnv}");
    else
      rawPhones.forEach((ph: unknown, i) => {
        const path = `sip.phones[${i}]`;
        const o = (ph ?? {}) as Raw;
        const username = typeof o.username === "string" ? o.username : undefined;
        // The username goes into digest computations and the call's caller: the characters of a SIP user part.
        if (!username || !/^[A-Za-z0-9+*#._~-]{1,64}$/.test(username))
          problem(`${path}.username`, "required: 1-64 of A-Z a-z 0-9 + * # . _ ~ -");
        else if (phones.some((x) => x.username === username))
          problem(`${path}.username`, `"${username}" is listed twice`);
        let password: string | undefined;
        if (typeof o.passwordEnv === "string") {
          password = env[o.passwordEnv];
          if (password === undefined || password === "")
            problem(`${path}.passwordEnv`, `environment variable ${o.passwordEnv} is not set`);
        } else if (typeof o.password === "string" && o.password !== "") password = o.password;
        // Never the value in a problem: it is a secret.
        else problem(`${path}.password`, "required (a string), or passwordEnv");
        if (username && password) phones.push({ username, password });
      });
  }
  const digestRaw = section("digest");
  const realm = text(digestRaw, "realm", "sip.digest.realm");
  const algorithm = text(digestRaw, "algorithm", "sip.digest.algorithm");
  if (algorithm !== undefined && algorithm !== "MD5" && algorithm !== "SHA-256")
    problem("sip.digest.algorithm", `expected MD5 or SHA-256, got "${algorithm}"`);
  const rawPhoneSources = digestRaw.sources;
  let phoneSources: string[] | undefined;
  if (rawPhoneSources !== undefined && rawPhoneSources !== null) {
    const list = typeof rawPhoneSources === "string" ? [rawPhoneSources] : rawPhoneSources;
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string" && IP_OR_CIDR.test(x)))
      problem("sip.digest.sources", "must be a list of IP addresses or CIDRs");
    else phoneSources = list as string[];
  }
  const digest = {
    ...(realm === undefined ? {} : { realm }),
    ...(phoneSources === undefined ? {} : { sources: phoneSources }),
    ...(algorithm === "MD5" || algorithm === "SHA-256" ? { algorithm: algorithm as "MD5" | "SHA-256" } : {}),
  };

  const dtmfRaw = section("dtmf");
  const dtmf = {
    start: text(dtmfRaw, "start", "sip.dtmf.start") ?? "*2",
    complete: text(dtmfRaw, "complete", "sip.dtmf.complete") ?? "*3",
    cancel: text(dtmfRaw, "cancel", "sip.dtmf.cancel") ?? "*4",
    terminator: text(dtmfRaw, "terminator", "sip.dtmf.terminator") ?? "#",
  };
  for (const [k, v] of Object.entries(dtmf))
    if (!DTMF_RE.test(v)) problem(`sip.dtmf.${k}`, `"${v}" is not DTMF digits`);

  const transferTargets: Record<string, string> = {};
  const tt = section("transferTargets");
  for (const [code, target] of Object.entries(tt)) {
    if (typeof target !== "string" || !TARGET_RE.test(target))
      problem(
        `sip.transferTargets.${code}`,
        `expected agent:<id>, group:<id> or +E164, got ${JSON.stringify(target)}`,
      );
    else transferTargets[code] = target;
  }

  const admissionRaw = section("admission");
  const maxCalls = positive(admissionRaw, "maxCalls", "sip.admission.maxCalls");
  const maxCallsPerSec = positive(admissionRaw, "maxCallsPerSec", "sip.admission.maxCallsPerSec");
  const perSource = callLimits(admissionRaw.perSource, "sip.admission.perSource");
  const maxSources = positive(admissionRaw, "maxSources", "sip.admission.maxSources");
  const admission = {
    ...(maxCalls === undefined ? {} : { maxCalls: Math.floor(maxCalls) }),
    ...(maxCallsPerSec === undefined ? {} : { maxCallsPerSec }),
    ...(Object.keys(perSource).length === 0 ? {} : { perSource }),
    ...(maxSources === undefined ? {} : { maxSources: Math.floor(maxSources) }),
  };
  const agentOffer = text(file, "agentOffer", "sip.agentOffer") ?? "late";
  if (agentOffer !== "late" && agentOffer !== "early")
    problem("sip.agentOffer", `expected late or early, got "${agentOffer}"`);
  const inFlight = positive(file, "endpointsInFlight", "sip.endpointsInFlight");
  const anySourceRaw = env.SWITCHYARD_SIP_ALLOW_ANY_SOURCE ?? file.allowAnySource;
  if (
    anySourceRaw !== undefined &&
    ![true, false, "1", "0", "true", "false"].includes(anySourceRaw as string)
  )
    problem("sip.allowAnySource", `expected true or false, got ${JSON.stringify(anySourceRaw)}`);
  const allowAnySource = anySourceRaw === true || anySourceRaw === "1" || anySourceRaw === "true";

  const mediaDir =
    flag("media-dir") ??
    env.SWITCHYARD_MEDIA_DIR ??
    text(file, "mediaDir", "sip.mediaDir") ??
    (src.dataDir ? `${src.dataDir}/media` : "switchyard-media");
  const outboundGateway = flag("outbound-gateway") ?? text(file, "outboundGateway", "sip.outboundGateway");
  if (!drachtio || !fsHp) return undefined;
  return {
    drachtio,
    freeswitch: {
      address: fsHp.host,
      port: fsHp.port,
      password,
      listenAddress: text(f, "listenAddress", "sip.freeswitch.listenAddress") ?? "127.0.0.1",
    },
    domain:
      flag("sip-domain") ?? env.SWITCHYARD_SIP_DOMAIN ?? text(file, "domain", "sip.domain") ?? "127.0.0.1",
    callerIdHeaders: callerIdHeaders as SipConfig["callerIdHeaders"],
    trunks,
    phones,
    allowAnySource,
    digest,
    outboundGateway,
    mediaDir,
    dtmf,
    transferTargets,
    admission,
    agentOffer: agentOffer === "early" ? "early" : "late",
    endpointsInFlight: inFlight === undefined ? undefined : Math.floor(inFlight),
  };
}
