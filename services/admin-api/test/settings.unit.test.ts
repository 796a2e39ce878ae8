import { Metadata } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { AdminSettingsError, authenticator, hashToken, loadAdminSettings, newToken } from "../src/index.js";

const load = (admin: unknown, flags: Record<string, string> = {}, env: Record<string, string> = {}) =>
  loadAdminSettings({ document: admin === undefined ? {} : { admin }, flags, env });

describe("admin-api settings", () => {
  it("refuses everyone by default and says so", () => {
    const s = load(undefined);
    expect(s.listen).toBe("127.0.0.1:50051");
    expect(s.auth).toEqual({ tokens: [] });
    expect(s.describe("127.0.0.1:50051").join("\n")).toContain("every request is refused");
  });

  it("enables anonymous access only when asked, and announces it", () => {
    const s = load({ anonymous: "readonly" });
    expect(s.auth.anonymousRole).toBe("readonly");
    expect(s.describe("h:1").join("\n")).toMatch(
      /WARNING: admin-api accepts ANONYMOUS requests with role readonly/,
    );
    expect(load(undefined, { "admin-anonymous": "admin" }).auth.anonymousRole).toBe("admin");
    expect(
      load({ anonymous: "readonly" }, {}, { SWITCHYARD_ADMIN_ANONYMOUS: "supervisor" }).auth.anonymousRole,
    ).toBe("supervisor");
  });

  it("lists every problem of the section", () => {
    let error: unknown;
    try {
      load({
        listen: "nowhere",
        anonymous: "root",
        tokens: [
          { name: "x", role: "god", sha256: "secret" },
          { name: "a", role: "agent", sha256: "0".repeat(64) },
        ],
        tls: { cert: "only-cert.pem" },
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AdminSettingsError);
    expect((error as AdminSettingsError).problems).toEqual([
      'admin.listen: "nowhere" is not host:port',
      'admin.anonymous: "root" is not a role (admin, supervisor, agent, readonly)',
      "admin.tokens[0].role: one of admin, supervisor, agent, readonly",
      "admin.tokens[0].sha256: the hex SHA-256 of the token (never the token itself)",
      "admin.tokens[1].agent: required for role agent",
      "admin.tls: needs cert and key (PEM file paths), and clientCa for mutual TLS",
    ]);
  });

  it("stores tokens hashed and authenticates by the hash", () => {
    const { token, sha256 } = newToken();
    expect(sha256).toBe(hashToken(token));
    expect(sha256).not.toContain(token);
    const s = load({ tokens: [{ name: "ann", role: "agent", agent: "ann", sha256 }] });
    const auth = authenticator(s.auth);
    const m = new Metadata();
    m.set("authorization", `Bearer ${token}`);
    expect(auth(m)).toEqual({ actor: "token:ann", role: "agent", agentId: "ann" });
    expect(() => auth(new Metadata())).toThrow(/bearer token is required/);
  });
});
