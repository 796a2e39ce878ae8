// The gRPC edge: grpc-js server, one handler per RPC (each authenticates, runs the use case, and maps a
// failure to a status with details), health checking and server reflection.
import { randomUUID } from "node:crypto";
import { type handleUnaryCall, Server, type ServerCredentials, type ServerUnaryCall } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer, loadSync } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import {
  type AgentServiceServer,
  AgentServiceService,
  adminDescriptorSet,
  type FlowServiceServer,
  FlowServiceService,
  type GroupServiceServer,
  GroupServiceService,
  type NumberServiceServer,
  NumberServiceService,
} from "@switchyard/admin-proto";
import type { Bus } from "@switchyard/bus";
import { type Clock, systemClock } from "@switchyard/clock";
import { workStreams } from "@switchyard/contracts";
import type { EventStore } from "@switchyard/event-store";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import * as agents from "./agents.js";
import { ConfigStore } from "./config-store.js";
import type { ApiContext, Caller } from "./context.js";
import * as flows from "./flows.js";
import * as groups from "./groups.js";
import * as numbers from "./numbers.js";
import { toServiceError } from "./status.js";

export type AdminLog = (
  level: "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Who may call: everyone unauthenticated (local development only), or a bearer-token check. */
export type Authenticator = (call: ServerUnaryCall<unknown, unknown>) => Caller;

export interface AdminServerConfig {
  readonly eventStore: {
    readonly store: Pick<EventStore, "append" | "readStream" | "streamVersion" | "readAll">;
  };
  readonly bus: Bus;
  readonly clock?: Clock;
  readonly authenticate: Authenticator;
  readonly log?: AdminLog;
  readonly newId?: () => string;
  /** Largest request message in bytes (larger: RESOURCE_EXHAUSTED). Default 4 MiB. */
  readonly maxMessageBytes?: number;
}

export const SERVICE_NAMES = [
  "switchyard.admin.v1.AgentService",
  "switchyard.admin.v1.GroupService",
  "switchyard.admin.v1.FlowService",
  "switchyard.admin.v1.NumberService",
] as const;

type Handler<Req, Res> = (request: Req, caller: Caller, signal: AbortSignal) => Promise<Res>;

export function buildServer(config: AdminServerConfig): { server: Server; health: HealthImplementation } {
  const log = config.log ?? (() => undefined);
  const ctx: ApiContext = {
    store: config.eventStore.store,
    config: new ConfigStore(config.eventStore.store),
    bus: config.bus,
    clock: config.clock ?? systemClock,
    newId: config.newId ?? randomUUID,
  };

  const unary =
    <Req, Res>(method: string, fn: Handler<Req, Res>): handleUnaryCall<Req, Res> =>
    (call, callback) => {
      const aborted = new AbortController();
      call.on("cancelled", () => aborted.abort());
      const run = async () =>
        fn(call.request, config.authenticate(call as ServerUnaryCall<unknown, unknown>), aborted.signal);
      run().then(
        (response) => callback(null, response),
        (error: unknown) => {
          const serviceError = toServiceError(error);
          if (serviceError.internal)
            log("error", `${method} failed`, {
              error: error instanceof Error ? (error.stack ?? error.message) : String(error),
            });
          callback(serviceError);
        },
      );
    };

  const empty = {};
  const agentService: AgentServiceServer = {
    createAgent: unary("CreateAgent", (r, c) => agents.createAgent(ctx, c, r)),
    getAgent: unary("GetAgent", (r) => agents.getAgent(ctx, r.name)),
    listAgents: unary("ListAgents", async (r) => {
      const page = await agents.listAgents(ctx, r);
      return { agents: [...page.items], nextPageToken: page.nextPageToken };
    }),
    updateAgent: unary("UpdateAgent", (r, c) =>
      agents.updateAgent(ctx, c, { ...r, updateMask: r.updateMask }),
    ),
    deleteAgent: unary("DeleteAgent", async (r, c) => {
      await agents.deleteAgent(ctx, c, r);
      return empty;
    }),
    signInAgent: unary("SignInAgent", (r, _c, s) =>
      agents.agentInput(ctx, r.name, () => ({ type: "SignIn" }), s),
    ),
    signOutAgent: unary("SignOutAgent", (r, _c, s) =>
      agents.agentInput(ctx, r.name, () => ({ type: "SignOut" }), s),
    ),
    startAgentBreak: unary("StartAgentBreak", (r, _c, s) =>
      agents.agentInput(
        ctx,
        r.name,
        () => ({ type: "StartBreak", ...(r.reason ? { reason: r.reason.slice(0, 200) } : {}) }),
        s,
      ),
    ),
    endAgentBreak: unary("EndAgentBreak", (r, _c, s) =>
      agents.agentInput(ctx, r.name, () => ({ type: "EndBreak" }), s),
    ),
    endAgentWrapUp: unary("EndAgentWrapUp", (r, _c, s) =>
      agents.agentInput(ctx, r.name, agents.endWrapUpInput, s),
    ),
  };

  const groupService: GroupServiceServer = {
    createGroup: unary("CreateGroup", (r, c) => groups.createGroup(ctx, c, r)),
    getGroup: unary("GetGroup", (r) => groups.getGroup(ctx, r.name)),
    listGroups: unary("ListGroups", async (r) => {
      const page = await groups.listGroups(ctx, r);
      return { groups: [...page.items], nextPageToken: page.nextPageToken };
    }),
    updateGroup: unary("UpdateGroup", (r, c) => groups.updateGroup(ctx, c, r)),
    deleteGroup: unary("DeleteGroup", async (r, c) => {
      await groups.deleteGroup(ctx, c, r);
      return empty;
    }),
  };

  const numberService: NumberServiceServer = {
    createNumber: unary("CreateNumber", (r, c) => numbers.createNumber(ctx, c, r)),
    getNumber: unary("GetNumber", (r) => numbers.getNumber(ctx, r.name)),
    listNumbers: unary("ListNumbers", async (r) => {
      const page = await numbers.listNumbers(ctx, r);
      return { numbers: [...page.items], nextPageToken: page.nextPageToken };
    }),
    updateNumber: unary("UpdateNumber", (r, c) => numbers.updateNumber(ctx, c, r)),
    deleteNumber: unary("DeleteNumber", async (r, c) => {
      await numbers.deleteNumber(ctx, c, r);
      return empty;
    }),
  };

  const flowService: FlowServiceServer = {
    validateFlow: unary("ValidateFlow", async (r) => ({ problems: await flows.validateFlow(ctx, r) })),
    createFlowVersion: unary("CreateFlowVersion", (r, c) => flows.createFlowVersion(ctx, c, r)),
    getFlowVersion: unary("GetFlowVersion", (r) => flows.getFlowVersion(ctx, r.name)),
    listFlowVersions: unary("ListFlowVersions", async (r) => {
      const page = await flows.listFlowVersions(ctx, r);
      return { flowVersions: [...page.items], nextPageToken: page.nextPageToken };
    }),
    publishFlowVersion: unary("PublishFlowVersion", (r, c) => flows.publishFlowVersion(ctx, c, r)),
    diffFlowVersions: unary("DiffFlowVersions", async (r) => ({
      changes: await flows.diffFlowVersions(ctx, r),
    })),
    getFlow: unary("GetFlow", (r) => flows.getFlow(ctx, r.name)),
    listFlows: unary("ListFlows", async (r) => {
      const page = await flows.listFlows(ctx, r);
      return { flows: [...page.items], nextPageToken: page.nextPageToken };
    }),
    deleteFlow: unary("DeleteFlow", async (r, c) => {
      await flows.deleteFlow(ctx, c, r);
      return empty;
    }),
  };

  const maxBytes = config.maxMessageBytes ?? 4 * 1024 * 1024;
  const server = new Server({
    "grpc.max_receive_message_length": maxBytes,
    "grpc.max_send_message_length": 16 * 1024 * 1024,
  });
  server.addService(AgentServiceService, agentService);
  server.addService(GroupServiceService, groupService);
  server.addService(NumberServiceService, numberService);
  server.addService(FlowServiceService, flowService);

  const health = new HealthImplementation({ "": "NOT_SERVING" });
  health.addToServer(server);
  // Reflection describes the admin services and the health service (from their descriptors).
  const definitions = {
    ...loadFileDescriptorSetFromBuffer(adminDescriptorSet()),
    ...loadSync(healthProtoPath),
  };
  new ReflectionService(definitions).addToServer(server);
  return { server, health };
}

/** Declares the work streams the API publishes to (idempotent; the consuming services declare them too). */
export async function ensurePorts(bus: Bus): Promise<void> {
  await bus.ensureStreams(workStreams());
}

export function bind(server: Server, address: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port))),
  );
}
