import { describe, expect, it } from "vitest";
import { ConfigError, loadRuntimeConfig, redactUrl } from "../src/index.js";

const files: Record<string, string> = {
  "ok.yaml":
    "database:\n  url: postgres://u:secret@db:5432/sy\n  schema: sy\nnats:\n  url: nats://n:4222\n  prefix: prod\n",
  "bad.yaml": "database:\n  url: 42\n",
  "list.yaml": "- a\n- b\n",
  "broken.yaml": "database: [\n",
};
const readFile = (p: string) => {
  const text = files[p];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
  return text;
};

describe("runtime configuration", () => {
  it("defaults to every service on embedded PostgreSQL (PGlite) and a private NATS", () => {
    const c = loadRuntimeConfig({ flags: {}, env: {}, readFile });
    expect(c.targets).toEqual(["router", "agent-presence", "media-gateway", "admin-api", "relay"]);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.natsUrl).toBeUndefined();
    expect(c.prefix).toBe("sy");
    expect(c.databaseSchema).toBe("public");
  });

  it("takes flags over environment over file", () => {
    const c = loadRuntimeConfig({
      flags: { config: "ok.yaml", "nats-url": "nats://flag:1" },
      env: { DATABASE_URL: "postgres://env/x" },
      readFile,
    });
    expect(c.natsUrl).toBe("nats://flag:1");
    expect(c.databaseUrl).toBe("postgres://env/x");
    expect(c.databaseSchema).toBe("sy");
    expect(c.prefix).toBe("prod");
  });

  it("lists every problem at once, naming where each is", () => {
    let error: unknown;
    try {
      loadRuntimeConfig({
        flags: { target: "router,nope", prefix: "Bad-Prefix" },
        env: { NATS_URL: "http://x" },
        readFile,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.path);
    expect(problems).toEqual(["--target", "nats url", "nats.prefix"]);
    expect((error as Error).message).not.toContain("\n");
  });

  it("rejects a non-string value in the file with its path", () => {
    expect(() => loadRuntimeConfig({ flags: { config: "bad.yaml" }, env: {}, readFile })).toThrow(
      "bad.yaml: database.url: must be a string",
    );
    expect(() => loadRuntimeConfig({ flags: { config: "list.yaml" }, env: {}, readFile })).toThrow(
      "the document must be a mapping",
    );
  });

  it("reports an unreadable or malformed file in one line", () => {
    expect(() => loadRuntimeConfig({ flags: { config: "missing.yaml" }, env: {}, readFile })).toThrow(
      /^cannot read configuration file missing.yaml: ENOENT/,
    );
    expect(() => loadRuntimeConfig({ flags: { config: "broken.yaml" }, env: {}, readFile })).toThrow(
      ConfigError,
    );
  });

  it("never shows a password", () => {
    expect(redactUrl("postgres://u:secret@db:5432/sy")).toBe("postgres://u:***@db:5432/sy");
    expect(() =>
      loadRuntimeConfig({ flags: { "database-url": "mysql://u:secret@h/x" }, env: {}, readFile }),
    ).toThrow(/^(?!.*secret)/);
  });
});

describe("configuration file sections", () => {
  it("names a misspelled top-level section instead of ignoring it", () => {
    const read = (p: string) => (p === "typo.yaml" ? "agent:\n  - id: ana\nnats:\n  prefix: x\n" : "");
    expect(() => loadRuntimeConfig({ flags: { config: "typo.yaml" }, env: {}, readFile: read })).toThrow(
      "typo.yaml: agent: unknown section (expected one of platform, admin, database, nats, account, agents, groups, numbers, flows, traffic, sip)",
    );
  });
});

describe("service settings (gateway id, shared clock, router and relay knobs)", () => {
  it("defaults to the default gateway, the system clock and each service's own defaults", () => {
    const c = loadRuntimeConfig({ flags: {}, env: {}, readFile });
    expect(c.services).toEqual({ gatewayId: "default", clock: undefined, router: {}, relay: {} });
  });

  it("reads flags over environment", () => {
    const c = loadRuntimeConfig({
      flags: { "gateway-id": "gw-1", "relay-poll-ms": "20" },
      env: {
        SWITCHYARD_GATEWAY_ID: "ignored",
        SWITCHYARD_CLOCK_SPEED: "20",
        SWITCHYARD_CLOCK_START_AT: "1000",
        SWITCHYARD_CLOCK_REAL_START: "2000",
        SWITCHYARD_ROUTER_ACK_WAIT_MS: "2000",
        SWITCHYARD_RELAY_POLL_MS: "999",
      },
      readFile,
    });
    expect(c.services).toEqual({
      gatewayId: "gw-1",
      clock: { speed: 20, startAt: 1000, realStart: 2000 },
      router: { ackWaitMs: 2000 },
      relay: { pollIntervalMs: 20 },
    });
  });

  it("names every bad value at once, and a clock start without its speed", () => {
    let error: unknown;
    try {
      loadRuntimeConfig({
        flags: { "gateway-id": "a b" },
        env: {
          SWITCHYARD_ROUTER_ACK_WAIT_MS: "-5",
          SWITCHYARD_RELAY_BATCH_SIZE: "2.5",
          SWITCHYARD_CLOCK_START_AT: "1000",
        },
        readFile,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).problems.map((p) => p.path).sort();
    expect(paths).toEqual(["--clock-start-at", "--gateway-id", "--relay-batch-size", "--router-ack-wait-ms"]);
  });
});
