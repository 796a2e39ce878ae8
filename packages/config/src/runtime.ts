import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { redactUrl } from "./redact.js";
import { loadSipConfig, type SipConfig } from "./sip.js";
import { loadServiceSettings, type ServiceSettings } from "./tuning.js";

export const TARGETS = ["router", "agent-presence", "media-gateway", "admin-api", "relay"] as const;
export type Target = (typeof TARGETS)[number];

/** How a process of the platform is wired: which services, and where its PostgreSQL and NATS are. */
export interface RuntimeConfig {
  readonly targets: readonly Target[];
  /** Absent: the embedded default (PGlite). */
  readonly databaseUrl: string | undefined;
  /** Directory for PGlite data; absent: in memory. */
  readonly dataDir: string | undefined;
  readonly databaseSchema: string;
  /** Absent: the embedded default (a private nats-server child process). */
  readonly natsUrl: string | undefined;
  /** Prefix of every JetStream stream and subject, so that several platforms can share one NATS. */
  readonly prefix: string;
  /** The YAML file the rest came from, if any. */
  readonly configFile: string | undefined;
  /** The SIP media driver's settings; absent: the media gateway runs the simulated driver. */
  readonly sip: SipConfig | undefined;
  /** The parsed YAML document, for sections that other packages own (agents, groups, flows...). */
  readonly document: Readonly<Record<string, unknown>>;
  /** Gateway id, shared clock, router and relay knobs (flags and environment). */
  readonly services: ServiceSettings;
}

export interface LoadOptions {
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

/** The top-level sections of the YAML file: the platform's own, the contact centre's and the simulation's. */
export const FILE_SECTIONS: readonly string[] = [
  "platform",
  "admin",
  "database",
  "nats",
  "account",
  "agents",
  "groups",
  "numbers",
  "flows",
  "traffic",
  "sip",
];

const PREFIX_RE = /^[a-z][a-z0-9_]{0,31}$/;
const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Precedence: flags, then environment, then the YAML file (`--config` / SWITCHYARD_CONFIG), then defaults.
 * Every problem is collected so the user sees all of them at once.
 */
export function loadRuntimeConfig({ flags, env, readFile = readText }: LoadOptions): RuntimeConfig {
  const problems: ConfigProblem[] = [];
  const configFile = str(flags.config) ?? env.SWITCHYARD_CONFIG;
  let document: Record<string, unknown> = {};
  if (configFile !== undefined) {
    try {
      const parsed: unknown = parseYaml(readFile(configFile));
      if (parsed === null || parsed === undefined) document = {};
      else if (typeof parsed === "object" && !Array.isArray(parsed))
        document = parsed as Record<string, unknown>;
      else problems.push({ source: configFile, path: "", reason: "the document must be a mapping" });
    } catch (error) {
      throw new ConfigError(`cannot read configuration file ${configFile}: ${firstLine(error)}`, [], {
        cause: error,
      });
    }
  }
  for (const key of Object.keys(document)) {
    if (!FILE_SECTIONS.includes(key))
      problems.push({
        source: configFile ?? "file",
        path: key,
        reason: `unknown section (expected one of ${FILE_SECTIONS.join(", ")})`,
      });
  }
  const fileSection = (key: string): Record<string, unknown> => {
    const v = document[key];
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  };
  const fromFile = (section: string, key: string): string | undefined => {
    const v = fileSection(section)[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") {
      problems.push({ source: configFile ?? "file", path: `${section}.${key}`, reason: "must be a string" });
      return undefined;
    }
    return v;
  };

  const targetText = str(flags.target) ?? env.SWITCHYARD_TARGET ?? fromFile("platform", "target") ?? "all";
  const targets: Target[] = [];
  for (const t of targetText.split(",").map((s) => s.trim())) {
    if (t === "all") targets.push(...TARGETS);
    else if ((TARGETS as readonly string[]).includes(t)) targets.push(t as Target);
    else
      problems.push({
        source: flags.target !== undefined ? "flags" : "env",
        path: "--target",
        reason: `unknown target "${t}" (expected all or ${TARGETS.join(", ")})`,
      });
  }

  const databaseUrl = str(flags["database-url"]) ?? env.DATABASE_URL ?? fromFile("database", "url");
  if (databaseUrl !== undefined)
    checkUrl(databaseUrl, ["postgres:", "postgresql:"], "database url", problems);
  const natsUrl = str(flags["nats-url"]) ?? env.NATS_URL ?? fromFile("nats", "url");
  if (natsUrl !== undefined) checkUrl(natsUrl, ["nats:", "tls:"], "nats url", problems);
  const databaseSchema =
    str(flags["database-schema"]) ?? env.DATABASE_SCHEMA ?? fromFile("database", "schema") ?? "public";
  if (!SCHEMA_RE.test(databaseSchema))
    problems.push({
      source: "config",
      path: "database.schema",
      reason: `invalid schema name "${databaseSchema}"`,
    });
  const prefix = str(flags.prefix) ?? env.SWITCHYARD_PREFIX ?? fromFile("nats", "prefix") ?? "sy";
  if (!PREFIX_RE.test(prefix))
    problems.push({
      source: "config",
      path: "nats.prefix",
      reason: `invalid prefix "${prefix}" (lower-case letters, digits and _, starting with a letter)`,
    });
  const dataDir = str(flags["data-dir"]) ?? env.SWITCHYARD_DATA_DIR ?? fromFile("database", "dataDir");
  const sipSection = document.sip;
  if (
    sipSection !== undefined &&
    sipSection !== null &&
    (typeof sipSection !== "object" || Array.isArray(sipSection))
  )
    problems.push({ source: configFile ?? "file", path: "sip", reason: "must be a mapping" });
  const sip = loadSipConfig(
    { flags, env, file: fileSection("sip"), fileName: configFile ?? "file", dataDir },
    problems,
  );

  const services = loadServiceSettings((flag, envName) => {
    const f = str(flags[flag]);
    if (f !== undefined && f !== "") return { value: f, from: "flags" };
    const e = env[envName];
    return e !== undefined && e !== "" ? { value: e, from: "env" } : undefined;
  }, problems);

  if (problems.length > 0) {
    const summary = problems.map((p) => `${p.source}: ${p.path}: ${p.reason}`).join("; ");
    throw new ConfigError(`invalid configuration: ${summary}`, problems);
  }
  return {
    targets: [...new Set(targets)],
    databaseUrl,
    dataDir,
    databaseSchema,
    natsUrl,
    prefix,
    configFile,
    sip,
    document,
    services,
  };
}

function checkUrl(url: string, protocols: string[], what: string, problems: ConfigProblem[]): void {
  try {
    const u = new URL(url);
    if (!protocols.includes(u.protocol))
      problems.push({
        source: "config",
        path: what,
        reason: `unsupported scheme "${u.protocol}" (expected ${protocols.join(" or ")})`,
      });
  } catch {
    problems.push({ source: "config", path: what, reason: `not a URL: "${redactUrl(url)}"` });
  }
}

function str(v: string | boolean | undefined): string | undefined {
  return typeof v === "string" ? v : undefined;
}

function readText(path: string): string {
  return readFileSync(path, "utf8");
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}
