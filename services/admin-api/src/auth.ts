// Bearer tokens with roles. Tokens are stored as SHA-256 hashes (they are random and long, so a fast hash
// is enough; what matters is that the configuration never holds a usable token) and compared in constant
// time. Anonymous access exists only when explicitly enabled, and then with the role it is given.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Metadata } from "@grpc/grpc-js";
import type { Caller } from "./context.js";

export const ROLES = ["admin", "supervisor", "agent", "readonly"] as const;
export type Role = (typeof ROLES)[number];

export interface TokenEntry {
  /** Who the token belongs to (event metadata `actor` is `token:<name>`). */
  readonly name: string;
  readonly role: Role;
  /** Hex SHA-256 of the token. */
  readonly sha256: string;
  /** Role agent: the agent id the token acts as. */
  readonly agentId?: string;
}

export class UnauthenticatedError extends Error {
  override readonly name = "UnauthenticatedError";
}

export class PermissionDeniedError extends Error {
  override readonly name = "PermissionDeniedError";
  constructor(
    readonly permission: string,
    message: string,
  ) {
    super(message);
  }
}

export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/** A new random token (for `switchyard admin-token`), and its hash for the configuration. */
export function newToken(): { token: string; sha256: string } {
  const token = `sy_${randomBytes(24).toString("base64url")}`;
  return { token, sha256: hashToken(token) };
}

export interface AuthSettings {
  readonly tokens: readonly TokenEntry[];
  /** A role for requests without a token (local development only); absent: they are UNAUTHENTICATED. */
  readonly anonymousRole?: Role;
}

/** Resolves the caller of a request from its `authorization: Bearer <token>` metadata. */
export function authenticator(settings: AuthSettings): (metadata: Metadata) => Caller {
  const entries = settings.tokens.map((t) => ({ ...t, digest: Buffer.from(t.sha256, "hex") }));
  return (metadata) => {
    const header = metadata.get("authorization")[0];
    if (header === undefined) {
      if (settings.anonymousRole !== undefined) return { actor: "anonymous", role: settings.anonymousRole };
      throw new UnauthenticatedError("a bearer token is required (metadata authorization: Bearer <token>)");
    }
    const m = typeof header === "string" ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!m) throw new UnauthenticatedError("the authorization metadata must be: Bearer <token>");
    const digest = createHash("sha256").update(m[1]!, "utf8").digest();
    // Every entry is compared, so the time taken does not tell which (if any) matched.
    let found: (typeof entries)[number] | undefined;
    for (const e of entries)
      if (e.digest.length === digest.length && timingSafeEqual(e.digest, digest)) found ??= e;
    if (!found) throw new UnauthenticatedError("unknown token");
    return {
      actor: `token:${found.name}`,
      role: found.role,
      ...(found.agentId === undefined ? {} : { agentId: found.agentId }),
    };
  };
}

/** What an RPC needs. */
export type Permission =
  | "read" // any role
  | "configure" // admin
  | "agentStatus" // admin, supervisor, or the agent itself
  | "callControl"; // admin, supervisor, or the agent on the call

/** Throws PermissionDeniedError unless the caller may; `agentId` is the agent the request acts on/for. */
export function authorize(caller: Caller, permission: Permission, agentIds: readonly string[] = []): void {
  const role = caller.role;
  const deny = (why: string): never => {
    throw new PermissionDeniedError(permission, `${caller.actor} (${role}) ${why}`);
  };
  switch (permission) {
    case "read":
      return;
    case "configure":
      if (role !== "admin") deny("may not change the configuration");
      return;
    case "agentStatus":
    case "callControl":
      if (role === "admin" || role === "supervisor") return;
      if (role === "agent") {
        if (caller.agentId !== undefined && agentIds.includes(caller.agentId)) return;
        deny(
          permission === "agentStatus" ? "may only change its own status" : "may only act on its own calls",
        );
      }
      deny("is read-only");
      return;
    default: {
      const unknown: never = permission;
      throw new Error(`unknown permission ${String(unknown)}`);
    }
  }
}
