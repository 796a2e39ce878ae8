import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { isMapping, problemsOf } from "./read.js";
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

// The file's and the flags' values in zod; where each problem is reported (file, flags, env or the merged
// "config") is the caller's, as the same value may come from any of them.
/** The sections of the file (it is a mapping by then): an unknown one is reported at its key. */
const document = z.partialRecord(z.enum(FILE_SECTIONS as [string, ...string[]]), z.unknown(), {
  error: `unknown section (expected one of ${FILE_SECTIONS.join(", ")})`,
});
const fileText = z
  .string({ error: "must be a string" })
  .nullish()
  .transform((v) => v ?? undefined);
const fileSection = z.looseObject({}, { error: "must be a mapping" }).nullish();
const target = z.enum(["all", ...TARGETS], {
  error: (i) => `unknown target "${i.input}" (expected all or ${TARGETS.join(", ")})`,
});
const url = (protocols: readonly string[]) =>
  z
    .string()
    .refine((u) => URL.canParse(u), {
      error: (i) => `not a URL: "${redactUrl(String(i.input))}"`,
      abort: true,
    })
    .refine((u) => protocols.includes(new URL(u).protocol), {
      error: (i) =>
        `unsupported scheme "${new URL(String(i.input)).protocol}" (expected ${protocols.join(" or ")})`,
    });
const databaseSchemaName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: (i) => `invalid schema name "${i.input}"` });
const prefixName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, {
  error: (i) => `invalid prefix "${i.input}" (lower-case letters, digits and _, starting with a letter)`,
});

/**
 * Precedence: flags, then environment, then the YAML file (`--config` / SWITCHYARD_CONFIG), then defaults.
 * Every problem is collected so the user sees all of them at once.
 */
export function loadRuntimeConfig({ flags, env, readFile = readText }: LoadOptions): RuntimeConfig {
  const problems: ConfigProblem[] = [];
  /** Reads `value` with `schema`; its problems are reported from `source` at `path`. */
  const check = <T extends z.ZodType>(
    schema: T,
    value: unknown,
    source: string,
    path: string,
  ): z.output<T> | undefined => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const p of problemsOf(result.error, path)) problems.push({ source, path: p.path, reason: p.reason });
    return undefined;
  };
  const configFile = str(flags.config) ?? env.SWITCHYARD_CONFIG;
  const fileName = configFile ?? "file";
  let parsed: unknown;
  if (configFile !== undefined) {
    try {
      parsed = parseYaml(readFile(configFile));
    } catch (error) {
      throw new ConfigError(`cannot read configuration file ${configFile}: ${firstLine(error)}`, [], {
        cause: error,
      });
    }
  }
  if (parsed !== null && parsed !== undefined && !isMapping(parsed))
    problems.push({ source: fileName, path: "", reason: "the document must be a mapping" });
  const doc: Record<string, unknown> = isMapping(parsed) ? { ...parsed } : {};
  check(document, doc, fileName, "");
  const section = (key: string): Record<string, unknown> => (isMapping(doc[key]) ? doc[key] : {});
  const fromFile = (key: string, field: string): string | undefined =>
    check(fileText, section(key)[field], fileName, `${key}.${field}`);

  const targetText = str(flags.target) ?? env.SWITCHYARD_TARGET ?? fromFile("platform", "target") ?? "all";
  const targets: Target[] = [];
  for (const t of targetText.split(",").map((s) => s.trim())) {
    const named = check(target, t, flags.target !== undefined ? "flags" : "env", "--target");
    if (named === "all") targets.push(...TARGETS);
    else if (named !== undefined) targets.push(named);
  }

  const databaseUrl = str(flags["database-url"]) ?? env.DATABASE_URL ?? fromFile("database", "url");
  if (databaseUrl !== undefined)
    check(url(["postgres:", "postgresql:"]), databaseUrl, "config", "database url");
  const natsUrl = str(flags["nats-url"]) ?? env.NATS_URL ?? fromFile("nats", "url");
  if (natsUrl !== undefined) check(url(["nats:", "tls:"]), natsUrl, "config", "nats url");
  const databaseSchema =
    str(flags["database-schema"]) ?? env.DATABASE_SCHEMA ?? fromFile("database", "schema") ?? "public";
  check(databaseSchemaName, databaseSchema, "config", "database.schema");
  const prefix = str(flags.prefix) ?? env.SWITCHYARD_PREFIX ?? fromFile("nats", "prefix") ?? "sy";
  check(prefixName, prefix, "config", "nats.prefix");
  const dataDir = str(flags["data-dir"]) ?? env.SWITCHYARD_DATA_DIR ?? fromFile("database", "dataDir");
  check(fileSection, doc.sip, fileName, "sip");
  const sip = loadSipConfig({ flags, env, file: section("sip"), fileName, dataDir }, problems);

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
    document: doc,
    services,
  };
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
