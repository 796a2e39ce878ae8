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
import { type AuthSettings, ROLES, type Role, type TokenEntry } from "./auth.js";

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
  if (!/^[^\s]+:\d{1,5}$/.test(listen)) problems.push(`admin.listen: "${listen}" is not host:port`);

  const anonymousText =
    flag("admin-anonymous") ??
    input.env.SWITCHYARD_ADMIN_ANONYMOUS ??
    (typeof section.anonymous === "string"
      ? section.anonymous
      : section.anonymous === false
        ? undefined
        : undefined);
  let anonymousRole: Role | undefined;
  if (anonymousText !== undefined && anonymousText !== "" && anonymousText !== "false") {
    if ((ROLES as readonly string[]).includes(anonymousText)) anonymousRole = anonymousText as Role;
    else problems.push(`admin.anonymous: "${anonymousText}" is not a role (${ROLES.join(", ")})`);
  }

  const tokens: TokenEntry[] = [];
  const rawTokens = section.tokens ?? [];
  if (!Array.isArray(rawTokens)) problems.push("admin.tokens: must be a list");
  else
    rawTokens.forEach((t: unknown, i) => {
      const at = `admin.tokens[${i}]`;
      if (!isRecord(t)) {
        problems.push(`${at}: must be a mapping`);
        return;
      }
      const { name, role, sha256, agent } = t;
      if (typeof name !== "string" || name === "") problems.push(`${at}.name: required`);
      if (typeof role !== "string" || !(ROLES as readonly string[]).includes(role))
        problems.push(`${at}.role: one of ${ROLES.join(", ")}`);
      if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256))
        problems.push(`${at}.sha256: the hex SHA-256 of the token (never the token itself)`);
      if (role === "agent" && typeof agent !== "string")
        problems.push(`${at}.agent: required for role agent`);
      if (typeof name === "string" && typeof role === "string" && typeof sha256 === "string")
        tokens.push({
          name,
          role: role as Role,
          sha256,
          ...(typeof agent === "string" ? { agentId: agent } : {}),
        });
    });

  let credentials = ServerCredentials.createInsecure();
  let transport = "plaintext (no TLS)";
  const tls = section.tls;
  if (tls !== undefined) {
    if (!isRecord(tls) || typeof tls.cert !== "string" || typeof tls.key !== "string")
      problems.push("admin.tls: needs cert and key (PEM file paths), and clientCa for mutual TLS");
    else {
      try {
        const ca = typeof tls.clientCa === "string" ? readFile(tls.clientCa) : null;
        credentials = ServerCredentials.createSsl(
          ca,
          [{ cert_chain: readFile(tls.cert), private_key: readFile(tls.key) }],
          ca !== null,
        );
        transport = ca !== null ? "mutual TLS (client certificates required)" : "TLS";
      } catch (error) {
        problems.push(`admin.tls: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  if (problems.length > 0) throw new AdminSettingsError(problems);

  const describe = (boundTarget: string) => [
    `admin-api on ${boundTarget}, ${transport}, ${tokens.length} token${tokens.length === 1 ? "" : "s"}`,
    ...(anonymousRole !== undefined
      ? [
          `WARNING: admin-api accepts ANONYMOUS requests with role ${anonymousRole} (for local development only)`,
        ]
      : tokens.length === 0
        ? [
            "admin-api: no tokens configured and anonymous access is off: every request is refused " +
              "(add admin.tokens; `switchyard admin-token` makes one)",
          ]
        : []),
  ];
  return {
    listen,
    auth: { tokens, ...(anonymousRole === undefined ? {} : { anonymousRole }) },
    credentials,
    describe,
  };
}
