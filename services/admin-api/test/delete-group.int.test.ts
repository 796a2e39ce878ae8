// DeleteGroup through the generated client: a stale etag is ABORTED, a group a flow rings is
// FAILED_PRECONDITION naming the flow, and a free group goes (NOT_FOUND afterwards); nothing is appended
// by a refused delete.
import { status } from "@grpc/grpc-js";
import { Agent, FlowSpec, Group, Strategy } from "@switchyard/admin-proto";
import { CONFIG_STREAM } from "@switchyard/routing-domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusDetails } from "../src/index.js";
import { call, failure, type Harness, startHarness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("delgroup", { presence: false });
  await call(h.agents, h.agents.createAgent, {
    agentId: "dg_a",
    agent: Agent.fromPartial({ displayName: "A", phoneNumber: "+15550100" }),
  });
});
afterAll(async () => {
  await h?.close();
});

const group = (groupId: string) =>
  call(h.groups, h.groups.createGroup, {
    groupId,
    group: Group.fromPartial({
      displayName: groupId,
      strategy: Strategy.STRATEGY_ROUND_ROBIN,
      members: ["agents/dg_a"],
    }),
  });
const configVersion = () => h.eventStore.store.streamVersion(CONFIG_STREAM);

describe("DeleteGroup", () => {
  it("deletes a free group with its current etag; a stale etag is ABORTED", async () => {
    const created = await group("dg_free");
    await call(h.groups, h.groups.updateGroup, {
      group: { ...created, displayName: "renamed" },
      updateMask: ["display_name"],
    });
    const before = await configVersion();
    const stale = await failure(
      call(h.groups, h.groups.deleteGroup, { name: "groups/dg_free", etag: created.etag }),
    );
    expect(stale.code).toBe(status.ABORTED);
    expect(await configVersion()).toBe(before);
    const current = await call(h.groups, h.groups.getGroup, { name: "groups/dg_free" });
    await call(h.groups, h.groups.deleteGroup, { name: "groups/dg_free", etag: current.etag });
    const gone = await failure(call(h.groups, h.groups.getGroup, { name: "groups/dg_free" }));
    expect(gone.code).toBe(status.NOT_FOUND);
    const again = await failure(call(h.groups, h.groups.deleteGroup, { name: "groups/dg_free", etag: "" }));
    expect(again.code).toBe(status.NOT_FOUND);
  });

  it("refuses to delete a group a published flow rings, naming the flow", async () => {
    await group("dg_used");
    const v = await call(h.flows, h.flows.createFlowVersion, {
      parent: "flows/dg_flow",
      spec: FlowSpec.fromPartial({
        startApplet: "c",
        applets: { c: { connect: { group: "groups/dg_used", fallbackBranch: "bye" } }, bye: { hangup: {} } },
      }),
      etag: "",
    });
    await call(h.flows, h.flows.publishFlowVersion, { name: v.name, etag: "" });
    const before = await configVersion();
    const used = await failure(call(h.groups, h.groups.deleteGroup, { name: "groups/dg_used", etag: "" }));
    expect(used.code).toBe(status.FAILED_PRECONDITION);
    expect(statusDetails(used).preconditionFailure?.violations.map((x) => x.subject)).toEqual([
      expect.stringContaining("dg_flow"),
    ]);
    expect(await configVersion()).toBe(before);
    expect((await call(h.groups, h.groups.getGroup, { name: "groups/dg_used" })).name).toBe("groups/dg_used");
  });
});
