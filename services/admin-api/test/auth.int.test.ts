// Bearer tokens and roles through the generated clients: a missing or wrong token is UNAUTHENTICATED, a
// read-only token changes nothing, an agent token changes only its own agent's status.
import { Metadata, status } from "@grpc/grpc-js";
import { Agent, Agent_Status } from "@switchyard/admin-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticator, hashToken, statusDetails } from "../src/index.js";
import { call, failure, type Harness, startHarness } from "./harness.js";

const TOKENS = {
  admin: "admin-secret-1",
  viewer: "viewer-secret-2",
  ann: "ann-secret-3",
  boss: "boss-secret-4",
};
const bearer = (token: string) => {
  const m = new Metadata();
  m.set("authorization", `Bearer ${token}`);
  return m;
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness("auth", {
    authenticate: authenticator({
      tokens: [
        { name: "ops", role: "admin", sha256: hashToken(TOKENS.admin) },
        { name: "viewer", role: "readonly", sha256: hashToken(TOKENS.viewer) },
        { name: "ann", role: "agent", sha256: hashToken(TOKENS.ann), agentId: "ann" },
        { name: "boss", role: "supervisor", sha256: hashToken(TOKENS.boss) },
      ],
    }),
  });
  for (const agentId of ["ann", "bob"])
    await call(
      h.agents,
      h.agents.createAgent,
      { agentId, agent: Agent.fromPartial({ displayName: agentId, phoneNumber: "+15550100" }) },
      bearer(TOKENS.admin),
    );
});
afterAll(async () => {
  await h?.close();
});

const list = (metadata: Metadata) =>
  call(h.agents, h.agents.listAgents, { pageSize: 0, pageToken: "", filter: "" }, metadata);

describe("authentication and roles", () => {
  it("answers UNAUTHENTICATED without a token, with a wrong one, or a malformed header", async () => {
    expect((await failure(list(new Metadata()))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(list(bearer("nope")))).code).toBe(status.UNAUTHENTICATED);
    const malformed = new Metadata();
    malformed.set("authorization", `Basic ${TOKENS.admin}`);
    const e = await failure(list(malformed));
    expect(e.code).toBe(status.UNAUTHENTICATED);
    expect(statusDetails(e).errorInfo?.reason).toBe("UNAUTHENTICATED");
  });

  it("lets a read-only token read and change nothing", async () => {
    expect((await list(bearer(TOKENS.viewer))).agents).toHaveLength(2);
    const before = await h.countEvents();
    const attempts = [
      call(
        h.agents,
        h.agents.createAgent,
        { agentId: "eve", agent: Agent.fromPartial({ displayName: "Eve", phoneNumber: "+15550100" }) },
        bearer(TOKENS.viewer),
      ),
      call(h.agents, h.agents.deleteAgent, { name: "agents/bob", etag: "" }, bearer(TOKENS.viewer)),
      call(h.agents, h.agents.signInAgent, { name: "agents/bob" }, bearer(TOKENS.viewer)),
    ];
    for (const attempt of attempts) expect((await failure(attempt)).code).toBe(status.PERMISSION_DENIED);
    expect(await h.countEvents()).toBe(before);
  });

  it("lets an agent token change its own status only, and no configuration", async () => {
    const own = await call(h.agents, h.agents.signInAgent, { name: "agents/ann" }, bearer(TOKENS.ann));
    expect(own.status).toBe(Agent_Status.STATUS_AVAILABLE);
    const before = await h.countEvents();
    const other = await failure(
      call(h.agents, h.agents.signInAgent, { name: "agents/bob" }, bearer(TOKENS.ann)),
    );
    expect(other.code).toBe(status.PERMISSION_DENIED);
    const configure = await failure(
      call(h.agents, h.agents.deleteAgent, { name: "agents/ann", etag: "" }, bearer(TOKENS.ann)),
    );
    expect(configure.code).toBe(status.PERMISSION_DENIED);
    expect(await h.countEvents()).toBe(before);
  });

  it("lets a supervisor change any agent's status but not the configuration", async () => {
    const bob = await call(h.agents, h.agents.signInAgent, { name: "agents/bob" }, bearer(TOKENS.boss));
    expect(bob.status).toBe(Agent_Status.STATUS_AVAILABLE);
    const denied = await failure(
      call(h.agents, h.agents.deleteAgent, { name: "agents/bob", etag: "" }, bearer(TOKENS.boss)),
    );
    expect(denied.code).toBe(status.PERMISSION_DENIED);
  });

  it("records the token's name as the actor of what it appends", async () => {
    const events = await h.eventStore.store.readStream("config");
    expect(events.every((e) => e.metadata.actor === "token:ops")).toBe(true);
  });
});
