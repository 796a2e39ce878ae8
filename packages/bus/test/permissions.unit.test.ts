import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { natsPermissions, natsServerConfig, natsUser, SERVICE_ROLES } from "../src/index.js";

const scope = { prefix: "sy", gatewayIds: ["default", "edge2"] };

describe("least-privilege permissions", () => {
  it.each(SERVICE_ROLES)(
    "%s: no stream administration, no wildcard, replies on its own inbox only",
    (role) => {
      const p = natsPermissions(role, scope);
      expect(
        p.publish.filter((s) => /STREAM\.(CREATE|UPDATE|DELETE|PURGE)|^>$|^\$JS\.API\.>$/.test(s)),
      ).toEqual([]);
      expect(p.subscribe).toEqual([`_INBOX_${natsUser(role)}.>`]);
      // Only the relay publishes events; only the router leg commands and timers.
      expect(p.publish.includes("sy.evt.>")).toBe(role === "relay");
      expect(p.publish.includes("sy.legcmd.>")).toBe(role === "router");
      expect(p.publish.includes("sy.timer.>")).toBe(role === "router");
      // Only agent-presence writes the presence view.
      expect(p.publish.includes("$KV.sy_presence.>")).toBe(role === "agent-presence");
    },
  );

  it("gives each gateway id its own consumer and state bucket", () => {
    const p = natsPermissions("media-gateway", scope);
    for (const gw of scope.gatewayIds) {
      expect(p.publish).toContain(`$JS.API.CONSUMER.MSG.NEXT.SY-LEG_COMMANDS.media-gateway-${gw}`);
      expect(p.publish).toContain(`$KV.sy_gw_${gw}.>`);
    }
  });

  it("the shipped template is what `switchyard nats-config` prints for the default deployment", () => {
    const shipped = readFileSync(
      join(import.meta.dirname, "../../../infra/nats/switchyard-nats.conf"),
      "utf8",
    );
    expect(shipped).toBe(
      natsServerConfig({ prefix: "sy", gatewayIds: ["default"], storeDir: "/var/lib/nats" }),
    );
    expect(shipped).not.toMatch(/pw-|secret/i);
  });
});
