import { z } from "zod";
import type { ConfigProblem } from "./errors.js";
import { isMapping, problemsOf } from "./read.js";

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
    /**
     * `parked` (default): FreeSWITCH's dialplan parks the gateway's endpoints (the `switchyard_endpoint`
     * extension) and they are driven over one event-socket connection; `outbound`: drachtio-fsmrf's
     * per-channel `socket` connections (a stock drachtio-fsmrf dialplan, several times FreeSWITCH's CPU).
     */
    readonly control: "parked" | "outbound";
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
   * the driver's defaults (500 calls up at once, no rate limit, 100 callers waiting for media).
   */
  readonly admission: {
    readonly maxCalls?: number;
    readonly maxCallsPerSec?: number;
    /** `sip.admission.maxWaitingForMedia`: callers waiting for a FreeSWITCH endpoint at once (default 100). */
    readonly maxWaitingForMedia?: number;
    /** `sip.admission.perSource`: the same caps per source address, checked first. */
    readonly perSource?: { readonly maxCalls?: number; readonly maxCallsPerSec?: number };
    /** `sip.admission.maxSources`: source addresses remembered for `perSource` (default 10 000). */
    readonly maxSources?: number;
  };
  /** `sip.agentOffer`: late (default) or early SDP offer on agent legs (see the media gateway README). */
  readonly agentOffer: "late" | "early";
  /**
   * `sip.mediaRelease`: off (default) or afterBridge: a bridged call's phones send RTP to each other and its
   * FreeSWITCH endpoints end until media is needed again (see the media gateway README).
   */
  readonly mediaRelease: "off" | "afterBridge";
  /** `sip.endpointsInFlight`: FreeSWITCH endpoints created at once (unset: the driver's default, 16). */
  readonly endpointsInFlight: number | undefined;
}

type Raw = Readonly<Record<string, unknown>>;

const HOSTPORT_RE = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const DTMF_RE = /^[0-9A-D*#]+$/;
const IP_OR_CIDR = /^[0-9a-fA-F.:]+(\/\d{1,3})?$/;
const TARGET_RE = /^(agent:[^\s]+|group:[^\s]+|\+[1-9]\d{1,14})$/;
/** A phone's username goes into digest computations and the call's caller: the characters of a SIP user part. */
const SIP_USER_RE = /^[A-Za-z0-9+*#._~-]{1,64}$/;

// The file side of the section, in zod. Values that flags and environment can override (hosts, ports,
// secrets, directories) are read one at a time, only when nothing overrides them, as before.

/** A string; a YAML number (a port, DTMF digits) is read as the text written. Empty: absent. */
const scalar = z
  .union([z.string(), z.number().transform(String)], { error: "must be a string" })
  .nullish()
  .transform((v) => v ?? undefined);
const positive = scalar
  .refine((v) => v === undefined || (Number(v) > 0 && Number.isFinite(Number(v))), {
    error: (i) => `must be a positive number, got "${i.input}"`,
  })
  .transform((v) => (v === undefined ? undefined : Number(v)));
/** One of `choices`, else `expected …, got "…"`. */
const choice = <const T extends readonly [string, ...string[]]>(choices: T, expected: string) =>
  scalar.refine((v) => v === undefined || choices.includes(v), {
    error: (i) => `expected ${expected}, got "${i.input}"`,
  }) as unknown as z.ZodType<T[number] | undefined>;
/** A sub-mapping of the section; empty: absent. */
const section = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.looseObject(shape, { error: "must be a mapping" }).nullish();
/** One address or CIDR, or a list of them. */
const addresses = (error: string) =>
  z.union([z.string().transform((s) => [s]), z.array(z.string())], { error });
const callLimits = z
  .looseObject(
    { maxCalls: positive, maxCallsPerSec: positive },
    { error: "must be a mapping of maxCalls, maxCallsPerSec" },
  )
  .nullish()
  .transform((v) => ({
    ...(v?.maxCalls === undefined ? {} : { maxCalls: Math.floor(v.maxCalls) }),
    ...(v?.maxCallsPerSec === undefined ? {} : { maxCallsPerSec: v.maxCallsPerSec }),
  }));
/** A list item that is not a mapping reads as an empty one: each required field then says so. */
const item = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.preprocess((v) => (isMapping(v) ? v : {}), z.looseObject(shape));
const always = { when: () => true };

const NO_SOURCES = "a list of IP addresses or CIDRs is required";
const trunk = item({
  name: z.string({ error: "required" }).refine((v) => v !== "", { error: "required" }),
  sources: addresses(NO_SOURCES)
    .refine((list) => list.length > 0, { error: NO_SOURCES, abort: true })
    .superRefine((list, ctx) => {
      for (const source of list)
        if (!IP_OR_CIDR.test(source))
          ctx.addIssue({ code: "custom", message: `"${source}" is not an IP address or CIDR` });
    }),
  perSource: callLimits,
}).transform(({ name, sources, perSource }) => ({
  name,
  sources,
  ...(Object.keys(perSource).length === 0 ? {} : { perSource }),
}));

const USERNAME = "required: 1-64 of A-Z a-z 0-9 + * # . _ ~ -";
/** An agent phone; its password may come from the environment (`passwordEnv`) and is never quoted. */
const phone = (env: SipSources["env"]) => {
  const password = (o: Raw): string | undefined =>
    typeof o.passwordEnv === "string"
      ? env[o.passwordEnv] || undefined
      : typeof o.password === "string" && o.password !== ""
        ? o.password
        : undefined;
  return item({
    username: z.string({ error: USERNAME }).regex(SIP_USER_RE, { error: USERNAME }),
    password: z.unknown().optional(),
    passwordEnv: z.unknown().optional(),
  })
    .superRefine((o, ctx) => {
      if (password(o) !== undefined) return;
      if (typeof o.passwordEnv === "string")
        ctx.addIssue({
          code: "custom",
          path: ["passwordEnv"],
          message: `environment variable ${o.passwordEnv} is not set`,
        });
      else
        ctx.addIssue({ code: "custom", path: ["password"], message: "required (a string), or passwordEnv" });
    }, always)
    .transform((o) => ({ username: o.username, password: password(o) as string }));
};

/** What the section says beyond where drachtio-server and FreeSWITCH are. */
const settings = (env: SipSources["env"]) =>
  z.looseObject({
    callerIdHeaders: choice(["both", "from", "pai"], "both, from or pai"),
    trunks: z.array(trunk, { error: "must be a list of {name, sources}" }).nullish(),
    phones: z
      .array(phone(env), { error: "must be a list of {username, password | passwordEnv}" })
      .nullish()
      .superRefine((phones, ctx) => {
        // Checked on what was written, so a phone with another problem still counts.
        const names = (Array.isArray(phones) ? phones : []).map((p: unknown) =>
          isMapping(p) && typeof p.username === "string" && SIP_USER_RE.test(p.username)
            ? p.username
            : undefined,
        );
        names.forEach((name, i) => {
          if (name !== undefined && names.indexOf(name) < i)
            ctx.addIssue({ code: "custom", path: [i, "username"], message: `"${name}" is listed twice` });
        });
      }, always),
    digest: section({
      realm: scalar,
      algorithm: choice(["MD5", "SHA-256"], "MD5 or SHA-256"),
      sources: addresses("must be a list of IP addresses or CIDRs")
        .refine((list) => list.every((s) => IP_OR_CIDR.test(s)), {
          error: "must be a list of IP addresses or CIDRs",
        })
        .nullish(),
    }),
    dtmf: section(
      Object.fromEntries(
        ["start", "complete", "cancel", "terminator"].map((k) => [
          k,
          scalar.refine((v) => v === undefined || DTMF_RE.test(v), {
            error: (i) => `"${i.input}" is not DTMF digits`,
          }),
        ]),
      ),
    ),
    transferTargets: z
      .record(
        z.string(),
        z.custom<string>((t) => typeof t === "string" && TARGET_RE.test(t), {
          error: (i) => `expected agent:<id>, group:<id> or +E164, got ${JSON.stringify(i.input)}`,
        }),
        { error: "must be a mapping" },
      )
      .nullish(),
    admission: section({
      maxCalls: positive,
      maxCallsPerSec: positive,
      maxWaitingForMedia: positive,
      perSource: callLimits,
      maxSources: positive,
    }),
    agentOffer: choice(["late", "early"], "late or early"),
    mediaRelease: choice(["off", "afterBridge"], "off or afterBridge"),
    endpointsInFlight: positive,
  });

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
  /** Reads `value` with `schema`; its problems are the file's, under `path`. */
  const read = <T extends z.ZodType>(schema: T, value: unknown, path: string): z.output<T> | undefined => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const p of problemsOf(result.error, path)) problem(p.path, p.reason);
    return undefined;
  };
  const section = (key: string): Raw =>
    read(z.looseObject({}, { error: "must be a mapping" }).nullish(), file[key], `sip.${key}`) ?? {};
  const text = (raw: Raw, key: string, path: string): string | undefined => read(scalar, raw[key], path);
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

  const given = read(settings(env), file, "sip");
  const anySourceRaw = env.SWITCHYARD_SIP_ALLOW_ANY_SOURCE ?? file.allowAnySource;
  const allowAnySource = read(
    z
      .union([z.boolean(), z.enum(["1", "0", "true", "false"])], {
        error: (i) => `expected true or false, got ${JSON.stringify(i.input)}`,
      })
      .optional()
      .transform((v) => v === true || v === "1" || v === "true"),
    anySourceRaw,
    "sip.allowAnySource",
  );

  const mediaDir =
    flag("media-dir") ??
    env.SWITCHYARD_MEDIA_DIR ??
    text(file, "mediaDir", "sip.mediaDir") ??
    (src.dataDir ? `${src.dataDir}/media` : "switchyard-media");
  const outboundGateway = flag("outbound-gateway") ?? text(file, "outboundGateway", "sip.outboundGateway");
  // Read even when something else is wrong, so that every problem is listed at once.
  const listenAddress =
    drachtio && fsHp ? text(f, "listenAddress", "sip.freeswitch.listenAddress") : undefined;
  const control =
    drachtio && fsHp
      ? read(choice(["parked", "outbound"], "parked or outbound"), f.control, "sip.freeswitch.control")
      : undefined;
  const domain =
    drachtio && fsHp
      ? (flag("sip-domain") ?? env.SWITCHYARD_SIP_DOMAIN ?? text(file, "domain", "sip.domain"))
      : undefined;
  if (!drachtio || !fsHp || !given || allowAnySource === undefined) return undefined;
  const { digest, dtmf, admission } = given;
  const perSource = admission?.perSource ?? {};
  return {
    drachtio,
    freeswitch: {
      address: fsHp.host,
      port: fsHp.port,
      password,
      listenAddress: listenAddress ?? "127.0.0.1",
      control: control ?? "parked",
    },
    domain: domain ?? "127.0.0.1",
    callerIdHeaders: given.callerIdHeaders ?? "both",
    trunks: given.trunks ?? [],
    phones: given.phones ?? [],
    allowAnySource,
    digest: {
      ...(digest?.realm === undefined ? {} : { realm: digest.realm }),
      ...(digest?.sources == null ? {} : { sources: digest.sources }),
      ...(digest?.algorithm === undefined ? {} : { algorithm: digest.algorithm }),
    },
    outboundGateway,
    mediaDir,
    dtmf: {
      start: dtmf?.start ?? "*2",
      complete: dtmf?.complete ?? "*3",
      cancel: dtmf?.cancel ?? "*4",
      terminator: dtmf?.terminator ?? "#",
    },
    transferTargets: given.transferTargets ?? {},
    admission: {
      ...(admission?.maxCalls === undefined ? {} : { maxCalls: Math.floor(admission.maxCalls) }),
      ...(admission?.maxCallsPerSec === undefined ? {} : { maxCallsPerSec: admission.maxCallsPerSec }),
      ...(admission?.maxWaitingForMedia === undefined
        ? {}
        : { maxWaitingForMedia: Math.floor(admission.maxWaitingForMedia) }),
      ...(Object.keys(perSource).length === 0 ? {} : { perSource }),
      ...(admission?.maxSources === undefined ? {} : { maxSources: Math.floor(admission.maxSources) }),
    },
    agentOffer: given.agentOffer ?? "late",
    mediaRelease: given.mediaRelease ?? "off",
    endpointsInFlight:
      given.endpointsInFlight === undefined ? undefined : Math.floor(given.endpointsInFlight),
  };
}
