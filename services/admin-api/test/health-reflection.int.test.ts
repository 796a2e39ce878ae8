// Health checking and server reflection, with clients built from the protocols' own .proto files (no
// admin API code): reflection lists every service and serves the descriptors of each method.
import { createRequire } from "node:module";
import { create, createFileRegistry, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import {
  type Client,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  Metadata,
  Client as RawClient,
  type ServiceClientConstructor,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { Agent, Agent_Status } from "@switchyard/admin-proto";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Harness, startHarness } from "./harness.js";

const require = createRequire(import.meta.url);
const reflectionProto = require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto");

let h: Harness;
beforeAll(async () => {
  h = await startHarness("reflect", { presence: false });
});
afterAll(async () => {
  await h?.close();
});

const service = (path: string, name: string): ServiceClientConstructor => {
  let node: GrpcObject | ServiceClientConstructor = loadPackageDefinition(
    loadSync(path, { keepCase: true, enums: String }),
  );
  for (const part of name.split(".")) node = (node as GrpcObject)[part] as GrpcObject;
  return node as unknown as ServiceClientConstructor;
};

describe("health and reflection", () => {
  it("reports SERVING overall and per admin service", async () => {
    const Health = service(healthProtoPath, "grpc.health.v1.Health");
    const client = new Health(h.api.target, credentials.createInsecure()) as unknown as Client & {
      check(req: { service: string }, cb: (e: Error | null, r: { status: string }) => void): void;
    };
    const check = (name: string) =>
      new Promise<string>((resolve, reject) =>
        client.check({ service: name }, (e, r) => (e ? reject(e) : resolve(r.status))),
      );
    expect(await check("")).toBe("SERVING");
    expect(await check("switchyard.admin.v1.AgentService")).toBe("SERVING");
    client.close();
  });

  it("lists every service and describes every method's types", async () => {
    const Reflection = service(reflectionProto, "grpc.reflection.v1.ServerReflection");
    const client = new Reflection(h.api.target, credentials.createInsecure()) as unknown as Client & {
      ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: unknown): boolean; end(): void };
    };
    interface ReflectionResponse {
      list_services_response: { service: { name: string }[] };
      file_descriptor_response: { file_descriptor_proto: Buffer[] };
    }
    const ask = (request: Record<string, unknown>) =>
      new Promise<ReflectionResponse>((resolve, reject) => {
        const stream = client.ServerReflectionInfo();
        stream.on("data", (m: ReflectionResponse) => resolve(m));
        stream.on("error", reject);
        stream.write(request);
        stream.end();
      });
    const listed = await ask({ list_services: "*" });
    const names = listed.list_services_response.service.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        "switchyard.admin.v1.AgentService",
        "switchyard.admin.v1.GroupService",
        "switchyard.admin.v1.FlowService",
        "switchyard.admin.v1.NumberService",
        "grpc.health.v1.Health",
      ]),
    );
    const files = await ask({ file_containing_symbol: "switchyard.admin.v1.AgentService" });
    const protos = files.file_descriptor_response.file_descriptor_proto.map((b) =>
      fromBinary(FileDescriptorProtoSchema, b),
    );
    const agentService = protos.flatMap((f) => f.service).find((s) => s.name === "AgentService");
    expect(agentService?.method.map((m) => m.name)).toEqual([
      "CreateAgent",
      "GetAgent",
      "ListAgents",
      "UpdateAgent",
      "DeleteAgent",
      "SignInAgent",
      "SignOutAgent",
      "StartAgentBreak",
      "EndAgentBreak",
      "EndAgentWrapUp",
    ]);
    client.close();
  });

  it("lets a generic client that knows only what reflection tells it call ListAgents, with the generated client's answer", async () => {
    for (const [agentId, displayName] of [
      ["rhea", "Rhea"],
      ["ravi", "Ravi"],
    ])
      await call(h.agents, h.agents.createAgent, {
        agentId: agentId!,
        agent: Agent.fromPartial({ displayName: displayName!, phoneNumber: "+15550100" }),
      });
    // Descriptors from the server (the service's file and every file it imports).
    const Reflection = service(reflectionProto, "grpc.reflection.v1.ServerReflection");
    const reflection = new Reflection(h.api.target, credentials.createInsecure()) as unknown as Client & {
      ServerReflectionInfo(): NodeJS.ReadWriteStream & { write(m: unknown): boolean; end(): void };
    };
    const files = await new Promise<Buffer[]>((resolve, reject) => {
      const stream = reflection.ServerReflectionInfo();
      stream.on("data", (m: { file_descriptor_response: { file_descriptor_proto: Buffer[] } }) =>
        resolve(m.file_descriptor_response.file_descriptor_proto),
      );
      stream.on("error", reject);
      stream.write({ file_containing_symbol: "switchyard.admin.v1.AgentService" });
      stream.end();
    });
    reflection.close();
    const registry = createFileRegistry(
      create(FileDescriptorSetSchema, {
        // Reflection answers the file first, then its imports; a registry is built imports first.
        file: files.map((b) => fromBinary(FileDescriptorProtoSchema, b)).reverse(),
      }),
    );
    const method = registry
      .getService("switchyard.admin.v1.AgentService")
      ?.methods.find((m) => m.name === "ListAgents");
    if (!method) throw new Error("ListAgents not described");
    // A dynamic request, sent as bytes; the answer decoded with the reflected descriptor.
    const request = toBinary(method.input, create(method.input, { pageSize: 10 }));
    const generic = new RawClient(h.api.target, credentials.createInsecure());
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      generic.makeUnaryRequest(
        "/switchyard.admin.v1.AgentService/ListAgents",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(request),
        new Metadata(),
        {},
        (e, r) => (e || !r ? reject(e) : resolve(r)),
      ),
    );
    generic.close();
    const answer = toJson(method.output, fromBinary(method.output, bytes)) as {
      agents: { name: string; displayName: string; phoneNumber: string; status: string }[];
    };
    const generated = await call(h.agents, h.agents.listAgents, { pageSize: 10, pageToken: "", filter: "" });
    expect(answer.agents.map((a) => [a.name, a.displayName, a.phoneNumber, a.status])).toEqual(
      generated.agents.map((a) => [a.name, a.displayName, a.phoneNumber, Agent_Status[a.status]]),
    );
    expect(answer.agents.map((a) => a.name)).toEqual(["agents/ravi", "agents/rhea"]);
  });
});
