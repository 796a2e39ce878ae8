import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import { Agent, AgentServiceService, adminDescriptorSet, BadRequest, Status } from "../src/index.js";

describe("generated admin API code", () => {
  it("round-trips a message through the wire format", () => {
    const agent = Agent.fromPartial({ name: "agents/ann", displayName: "Ann", phoneNumber: "+15550100" });
    const decoded = Agent.decode(Agent.encode(agent).finish());
    expect(decoded.name).toBe("agents/ann");
    expect(decoded.phoneNumber).toBe("+15550100");
    expect(decoded.sipUri).toBeUndefined();
  });

  it("packs error details into a google.rpc.Status", () => {
    const detail = BadRequest.encode(
      BadRequest.fromPartial({
        fieldViolations: [{ field: "agent_id", description: "empty", reason: "REQUIRED" }],
      }),
    ).finish();
    const status = Status.decode(
      Status.encode({
        code: 3,
        message: "bad",
        details: [{ typeUrl: "type.googleapis.com/google.rpc.BadRequest", value: Buffer.from(detail) }],
      }).finish(),
    );
    expect(BadRequest.decode(status.details[0]!.value).fieldViolations[0]!.field).toBe("agent_id");
  });

  it("has a grpc-js service definition and a descriptor set naming every service", () => {
    expect(AgentServiceService.listAgents.path).toBe("/switchyard.admin.v1.AgentService/ListAgents");
    const definition = loadFileDescriptorSetFromBuffer(adminDescriptorSet());
    const services = Object.keys(definition).filter((k) => k.endsWith("Service"));
    expect(services.sort()).toEqual([
      "switchyard.admin.v1.AccountService",
      "switchyard.admin.v1.AgentService",
      "switchyard.admin.v1.AudioService",
      "switchyard.admin.v1.CallService",
      "switchyard.admin.v1.FlowService",
      "switchyard.admin.v1.GroupService",
      "switchyard.admin.v1.NumberService",
      "switchyard.admin.v1.QueueService",
    ]);
  });
});
