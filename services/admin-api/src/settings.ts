// The admin API's settings: the `admin` section of the configuration file, with flags and environment
// winning over it. Every problem is listed at once.
//
//   admin:
//     listen: 127.0.0.1:50051          # --admin-listen, SWITCHYARD_ADMIN_LISTEN
//     anonymous: readonly              # --admin-anonymous ROLE, SWITCHYARD_ADMIN_ANONYMOUS; local development only
//     tokens:                          # `switchyard admin-token` makes one
//       - { name: ops, role: admin, sha256: <hex> }
//       - { name: ann, role: agent, agent: ann, sha256: <hex> }
//     tls: { cert: server.pem, key: server-key.pem, clientCa: ca.pem }   # clientCa: mutual TLS
import { readFileSync } from "node:fs";
import { ServerCredentials } from "@grpc/grpc-js";
import { problemsOf } from "@switchyard/config";
import { z } from "zod";
import { type AuthSettings, ROLES, type TokenEntry } from "./auth.js";

export const DEFAULT_ADMIN_LISTEN = "127.0.0.1:50051";

export class AdminSettingsError extends Error {
  override readonly name = "AdminSettingsError";
  constructor(
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`invalid admin-api settings: ${problems.join("; ")}`, options);
  }
}

export interface AdminSettings {
  readonly listen: string;
  readonly auth: AuthSettings;
  readonly credentials: ServerCredentials;
  /** What start-up should say (where, transport, tokens, and a warning when anonymous access is on). */
  describe(boundTarget: string): string[];
}

export interface AdminSettingsInput {
  readonly document: Readonly<Record<string, unknown>>;
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => Buffer;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// The section's schema. A token's problems are each reported; a role of agent needs the agent's id.
const SHA256 = "the hex SHA-256 of the token (never the token itself)";
const token = z
  .looseObject(
    {
      name: z.string({ error: "required" }).refine((v) => v !== "", { error: "required" }),
      role: z.enum(ROLES, { error: `one of ${ROLES.join(", ")}` }),
      sha256: z.string({ error: SHA256 }).regex(/^[0-9a-f]{64}$/, { error: SHA256 }),
      agent: z.unknown().optional(),
    },
    { error: "must be a mapping" },
  )
  .superRefine(
    (t, ctx) => {
      if (isRecord(t) && t.role === "agent" && typeof t.agent !== "string")
        ctx.addIssue({ code: "custom", path: ["agent"], message: "required for role agent" });
    },
    { when: () => true },
  )
  .transform(
    (t): TokenEntry => ({
      name: t.name,
      role: t.role,
      sha256: t.sha256,
      ...(typeof t.agent === "string" ? { agentId: t.agent } : {}),
    }),
  );
const tokens = z.array(token, { error: "must be a list" }).nullish();
const tls = z.custom<{ cert: string; key: string; clientCa?: unknown }>(
  (v) => isRecord(v) && typeof v.cert === "string" && typeof v.key === "string",
  { error: "needs cert and key (PEM file paths), and clientCa for mutual TLS" },
);
const listenAddress = z.string().regex(/^[^\s]+:\d{1,5}$/, { error: (i) => `"${i.input}" is not host:port` });
const anonymous = z.enum(ROLES, { error: (i) => `"${i.input}" is not a role (${ROLES.join(", ")})` });

export function loadAdminSettings(input: AdminSettingsInput): AdminSettings {
  const readFile = input.readFile ?? ((p: string) => readFileSync(p));
  const problems: string[] = [];
  const section = input.document.admin ?? {};
  if (!isRecord(section)) throw new AdminSettingsError(["admin: must be a mapping"]);
  const flag = (name: string) =>
    typeof input.flags[name] === "string" ? (input.flags[name] as string) : undefined;

  const listen =
    flag("admin-listen") ??
    input.env.SWITCHYARD_ADMIN_LISTEN ??
    (typeof section.listen === "string" ? section.listen : undefined) ??
    DEFAULT_ADMIN_LISTEN;
  /** `schema` on `value`; each problem as `path: reason` under `path`. */
  const check = <T extends z.ZodType>(schema: T, value: unknown, path: string): z.output<T> | undefined => {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const p of problemsOf(result.error, path)) problems.push(`${p.path}: ${p.reason}`);
    return undefined;
  };
  check(listenAddress, listen, "admin.listen");

  const anonymousText =
    flag("admin-anonymous") ??
    input.env.SWITCHYARD_ADMIN_ANONYMOUS ??
    (typeof section.anonymous === "string" ? section.anonymous : undefined);
  const anonymousRole =
    anonymousText !== undefined && anonymousText !== "" && anonymousText !== "false"
      ? check(anonymous, anonymousText, "admin.anonymous")
      : undefined;

  // Every token is read, so that all their problems are listed; the list is used only if all are valid.
  const tokenList = check(tokens, section.tokens, "admin.tokens") ?? [];

  let credentials = ServerCredentials.createInsecure();
  let transport = "plaintext (no TLS)";
  const tlsFiles = section.tls === undefined ? undefined : check(tls, section.tls, "admin.tls");
  if (tlsFiles !== undefined) {
    try {
      const ca = typeof tlsFiles.clientCa === "string" ? readFile(tlsFiles.clientCa) : null;
      credentials = ServerCredentials.createSsl(
        ca,
        [{ cert_chain: readFile(tlsFiles.cert), private_key: readFile(tlsFiles.key) }],
        ca !== null,
      );
      transport = ca !== null ? "mutual TLS (client certificates required)" : "TLS";
    } catch (error) {
      problems.push(`admin.tls: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new AdminSettingsError(problems);

  const describe = (boundTarget: string) => [
    `admin-api on ${boundTarget}, ${transport}, ${tokenList.length} token${tokenList.length === 1 ? "" : "s"}`,
    ...(anonymousRole !== undefined
      ? [
          `WARNING: admin-api accepts ANONYMOUS requests with role ${anonymousRole} (for local development only)`,
        ]
      : tokenList.length === 0
        ? [
            "admin-api: no tokens configured and anonymous access is off: every request is refused " +
              "(add admin.tokens; `switchyard admin-token` makes one)",
          ]
        : []),
  ];
  return {
    listen,
    auth: { tokens: tokenList, ...(anonymousRole === undefined ? {} : { anonymousRole }) },
    credentials,
    describe,
  };
}
