// Health checking and server reflection, with clients built from the protocols' own .proto files (no
// admin API code): reflection lists every service and serves the descriptors of each method.
import { createRequire } from "node:module";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import {
  type Client,
  credentials,
  type GrpcObject,
  loadPackageDefinition,
  type ServiceClientConstructor,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { protoPath as healthProtoPath } from "grpc-health-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./harness.js";

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
});
