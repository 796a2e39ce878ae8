// The gRPC edge: grpc-js server, one handler per RPC (each authenticates, runs the use case, and maps a
// failure to a status with details), health checking and server reflection.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { type handleUnaryCall, type Metadata, Server, type ServerCredentials } from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer, loadSync, type PackageDefinition } from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import {
  type AccountServiceServer,
  AccountServiceService,
  type AgentServiceServer,
  AgentServiceService,
  type AudioServiceServer,
  AudioServiceService,
  adminDescriptorSet,
  type CallServiceServer,
  CallServiceService,
  type FlowServiceServer,
  FlowServiceService,
  type GroupServiceServer,
  GroupServiceService,
  type NumberServiceServer,
  NumberServiceService,
  type QueueServiceServer,
  QueueServiceService,
  type UploadAudioRequest,
} from "@switchyard/admin-proto";
import type { Bus } from "@switchyard/bus";
import { type Clock, realNow, systemClock } from "@switchyard/clock";
import { workStreams } from "@switchyard/contracts";
import { type BlobStore, type Checkpoint, type EventStore, START } from "@switchyard/event-store";
import { HealthImplementation, protoPath as healthProtoPath } from "grpc-health-check";
import * as account from "./account.js";
import * as agents from "./agents.js";
import * as audioFiles from "./audio-files.js";
import { authorize } from "./auth.js";
import { CallIndex } from "./call-index.js";
import * as calls from "./calls.js";
import { ConfigStore } from "./config-store.js";
import type { ApiContext, Caller } from "./context.js";
import { InvalidRequestError, PreconditionError, RequestAbandonedError } from "./errors.js";
import * as flows from "./flows.js";
import * as groups from "./groups.js";
import { idFrom, textViolation } from "./names.js";
import * as numbers from "./numbers.js";
import * as queues from "./queues.js";
import * as replay from "./replay.js";
import { toServiceError } from "./status.js";

export type AdminLog = (
  level: "info" | "warn" | "error",
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** Who is calling, from the request metadata (see auth.ts); throws UnauthenticatedError. */
export type Authenticator = (metadata: Metadata) => Caller;

export interface AdminServerConfig {
  readonly eventStore: {
    readonly store: Pick<EventStore, "append" | "readStream" | "streamVersion" | "readAll">;
    /** Where audio uploads are kept; absent: the AudioService answers FAILED_PRECONDITION. */
    readonly blobs?: BlobStore;
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
  "switchyard.admin.v1.AccountService",
  "switchyard.admin.v1.AgentService",
  "switchyard.admin.v1.GroupService",
  "switchyard.admin.v1.FlowService",
  "switchyard.admin.v1.NumberService",
  "switchyard.admin.v1.CallService",
  "switchyard.admin.v1.QueueService",
  "switchyard.admin.v1.AudioService",
] as const;

/** How often a watch looks for newly recorded events when it has seen them all. */
const WATCH_POLL_MS = 50;

/**
 * A request whose bytes are not a message of the method's type (truncated, garbage). grpc-js would answer
 * INTERNAL; the lenient deserializer hands this on so the edge answers INVALID_ARGUMENT instead.
 */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

function lenient<T extends Record<string, { requestDeserialize: (bytes: Buffer) => unknown }>>(
  definition: T,
): T {
  return Object.fromEntries(
    Object.entries(definition).map(([method, d]) => [
      method,
      {
        ...d,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return d.requestDeserialize(bytes);
          } catch (error) {
            return new MalformedRequest(error instanceof Error ? error.message : String(error));
          }
        },
      },
    ]),
  ) as T;
}

function rejectMalformed(request: unknown): void {
  if (request instanceof MalformedRequest)
    throw new InvalidRequestError([
      {
        field: "",
        description: `the request is not a valid message: ${request.reason}`,
        reason: "MALFORMED_MESSAGE",
      },
    ]);
}

/**
 * The RPC being served, for the write guard: its signal aborts with a RequestAbandonedError when the caller's
 * deadline passes or it cancels. Async context, so every write on the request's path is guarded without
 * threading the signal through each use case.
 */
const rpcScope = new AsyncLocalStorage<AbortSignal>();

function throwIfAbandoned(): void {
  const signal = rpcScope.getStore();
  if (signal?.aborted) throw signal.reason;
}

/** The store and bus as handlers see them: no append and no input sent once the request is abandoned. */
function guardWrites(store: AdminServerConfig["eventStore"]["store"], bus: Bus) {
  const guardedStore: typeof store = {
    readStream: (...a) => store.readStream(...a),
    streamVersion: (...a) => store.streamVersion(...a),
    readAll: (...a) => store.readAll(...a),
    append: async (streams) => {
      throwIfAbandoned();
      return store.append(streams);
    },
  };
  const guardedBus: Pick<Bus, "publish"> = {
    publish: async (...a) => {
      throwIfAbandoned();
      return bus.publish(...a);
    },
  };
  return { store: guardedStore, bus: guardedBus };
}

/**
 * An AbortController that aborts when the call is cancelled or its deadline (real time, set by the caller)
 * passes. grpc-js answers DEADLINE_EXCEEDED itself at the deadline but lets the handler run on.
 */
function abandonment(call: {
  getDeadline(): Date | number;
  on(event: "cancelled", listener: () => void): unknown;
}): { signal: AbortSignal; done(): void } {
  const aborted = new AbortController();
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  // A client whose deadline passes cancels the stream itself, often before the server's timer fires.
  let timer: NodeJS.Timeout | undefined;
  call.on("cancelled", () => {
    clearTimeout(timer);
    aborted.abort(new RequestAbandonedError(realNow() >= at ? "deadline" : "cancelled"));
  });
  if (Number.isFinite(at)) {
    const left = at - realNow();
    if (left <= 0) aborted.abort(new RequestAbandonedError("deadline"));
    else timer = setTimeout(() => aborted.abort(new RequestAbandonedError("deadline")), left);
  }
  return { signal: aborted.signal, done: () => clearTimeout(timer) };
}

type Handler<Req, Res> = (request: Req, caller: Caller, signal: AbortSignal) => Promise<Res>;

export function buildServer(config: AdminServerConfig): {
  server: Server;
  health: HealthImplementation;
  /** Ends every open watch stream (before a shutdown, which waits for open calls). */
  endWatches(): void;
} {
  const log = config.log ?? (() => undefined);
  const guarded = guardWrites(config.eventStore.store, config.bus);
  const ctx: ApiContext = {
    store: guarded.store,
    config: new ConfigStore(guarded.store),
    bus: guarded.bus,
    clock: config.clock ?? systemClock,
    newId: config.newId ?? randomUUID,
  };

  // Each RPC: authenticate, authorize (a permission, or a check that needs the request), then run.
  const unary =
    <Req, Res>(
      method: string,
      permission: "read" | "configure" | ((request: Req, caller: Caller) => void),
      fn: Handler<Req, Res>,
    ): handleUnaryCall<Req, Res> =>
    (call, callback) => {
      const abandoned = abandonment(call);
      const run = async () => {
        const caller = config.authenticate(call.metadata);
        rejectMalformed(call.request);
        if (typeof permission === "string") authorize(caller, permission);
        else permission(call.request, caller);
        return fn(call.request, caller, abandoned.signal);
      };
      rpcScope.run(abandoned.signal, run).then(
        (response) => {
          abandoned.done();
          callback(null, response);
        },
        (error: unknown) => {
          abandoned.done();
          if (error instanceof RequestAbandonedError)
            log("info", `${method} abandoned before it wrote anything`, { why: error.why });
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
  const ownStatus = (c: Caller, name: string) => authorize(c, "agentStatus", [idFrom("agents", name)]);
  const agentService: AgentServiceServer = {
    createAgent: unary("CreateAgent", "configure", (r, c) => agents.createAgent(ctx, c, r)),
    getAgent: unary("GetAgent", "read", (r) => agents.getAgent(ctx, r.name)),
    listAgents: unary("ListAgents", "read", async (r) => {
      const page = await agents.listAgents(ctx, r);
      return { agents: [...page.items], nextPageToken: page.nextPageToken };
    }),
    updateAgent: unary("UpdateAgent", "configure", (r, c) =>
      agents.updateAgent(ctx, c, { ...r, updateMask: r.updateMask }),
    ),
    deleteAgent: unary("DeleteAgent", "configure", async (r, c) => {
      await agents.deleteAgent(ctx, c, r);
      return empty;
    }),
    signInAgent: unary(
      "SignInAgent",
      (r, c) => ownStatus(c, r.name),
      (r, _c, s) => agents.agentInput(ctx, r.name, () => ({ type: "SignIn" }), s),
    ),
    signOutAgent: unary(
      "SignOutAgent",
      (r, c) => ownStatus(c, r.name),
      (r, _c, s) => agents.agentInput(ctx, r.name, () => ({ type: "SignOut" }), s),
    ),
    startAgentBreak: unary(
      "StartAgentBreak",
      (r, c) => ownStatus(c, r.name),
      (r, _c, s) =>
        agents.agentInput(
          ctx,
          r.name,
          () => {
            const bad = textViolation(r.reason, "reason", { required: false });
            if (bad) throw new InvalidRequestError([bad]);
            return { type: "StartBreak", ...(r.reason ? { reason: r.reason } : {}) };
          },
          s,
        ),
    ),
    endAgentBreak: unary(
      "EndAgentBreak",
      (r, c) => ownStatus(c, r.name),
      (r, _c, s) => agents.agentInput(ctx, r.name, () => ({ type: "EndBreak" }), s),
    ),
    endAgentWrapUp: unary(
      "EndAgentWrapUp",
      (r, c) => ownStatus(c, r.name),
      (r, _c, s) => agents.agentInput(ctx, r.name, agents.endWrapUpInput, s),
    ),
  };

  const groupService: GroupServiceServer = {
    createGroup: unary("CreateGroup", "configure", (r, c) => groups.createGroup(ctx, c, r)),
    getGroup: unary("GetGroup", "read", (r) => groups.getGroup(ctx, r.name)),
    listGroups: unary("ListGroups", "read", async (r) => {
      const page = await groups.listGroups(ctx, r);
      return { groups: [...page.items], nextPageToken: page.nextPageToken };
    }),
    updateGroup: unary("UpdateGroup", "configure", (r, c) => groups.updateGroup(ctx, c, r)),
    deleteGroup: unary("DeleteGroup", "configure", async (r, c) => {
      await groups.deleteGroup(ctx, c, r);
      return empty;
    }),
  };

  const accountService: AccountServiceServer = {
    getAccount: unary("GetAccount", "read", (r) => account.getAccount(ctx, r.name)),
    updateAccount: unary("UpdateAccount", "configure", (r, c) => account.updateAccount(ctx, c, r)),
  };

  const numberService: NumberServiceServer = {
    createNumber: unary("CreateNumber", "configure", (r, c) => numbers.createNumber(ctx, c, r)),
    getNumber: unary("GetNumber", "read", (r) => numbers.getNumber(ctx, r.name)),
    listNumbers: unary("ListNumbers", "read", async (r) => {
      const page = await numbers.listNumbers(ctx, r);
      return { numbers: [...page.items], nextPageToken: page.nextPageToken };
    }),
    updateNumber: unary("UpdateNumber", "configure", (r, c) => numbers.updateNumber(ctx, c, r)),
    deleteNumber: unary("DeleteNumber", "configure", async (r, c) => {
      await numbers.deleteNumber(ctx, c, r);
      return empty;
    }),
  };

  const flowService: FlowServiceServer = {
    validateFlow: unary("ValidateFlow", "read", async (r) => ({
      problems: await flows.validateFlow(ctx, r),
    })),
    createFlowVersion: unary("CreateFlowVersion", "configure", (r, c) => flows.createFlowVersion(ctx, c, r)),
    getFlowVersion: unary("GetFlowVersion", "read", (r) => flows.getFlowVersion(ctx, r.name)),
    listFlowVersions: unary("ListFlowVersions", "read", async (r) => {
      const page = await flows.listFlowVersions(ctx, r);
      return { flowVersions: [...page.items], nextPageToken: page.nextPageToken };
    }),
    publishFlowVersion: unary("PublishFlowVersion", "configure", (r, c) =>
      flows.publishFlowVersion(ctx, c, r),
    ),
    diffFlowVersions: unary("DiffFlowVersions", "read", async (r) => ({
      changes: await flows.diffFlowVersions(ctx, r),
    })),
    getFlow: unary("GetFlow", "read", (r) => flows.getFlow(ctx, r.name)),
    listFlows: unary("ListFlows", "read", async (r) => {
      const page = await flows.listFlows(ctx, r);
      return { flows: [...page.items], nextPageToken: page.nextPageToken };
    }),
    deleteFlow: unary("DeleteFlow", "configure", async (r, c) => {
      await flows.deleteFlow(ctx, c, r);
      return empty;
    }),
  };

  const index = new CallIndex(ctx.store);
  const watches = new Set<() => void>();
  const callService: CallServiceServer = {
    getCall: unary("GetCall", "read", (r) => calls.getCall(ctx, r.name)),
    listCalls: unary("ListCalls", "read", (r) => calls.listCalls(index, r)),
    hangUpCall: unary(
      "HangUpCall",
      () => undefined,
      (r, c, s) => calls.hangUpCall(ctx, c, r, s),
    ),
    startTransfer: unary(
      "StartTransfer",
      () => undefined,
      (r, c, s) => calls.startTransfer(ctx, c, r, s),
    ),
    completeTransfer: unary(
      "CompleteTransfer",
      () => undefined,
      (r, c, s) => calls.endTransfer(ctx, c, r, "CompleteTransfer", s),
    ),
    cancelTransfer: unary(
      "CancelTransfer",
      () => undefined,
      (r, c, s) => calls.endTransfer(ctx, c, r, "CancelTransfer", s),
    ),
    replayCall: unary("ReplayCall", "read", async (r) =>
      replay.replayCall(ctx, await calls.readCallEvents(ctx, r.name)),
    ),
    // Follows the log in commit order from the resume token (or now); each event carries the token to
    // resume after it, so a client that reconnects misses nothing and sees nothing twice.
    watchEvents: (call) => {
      let open = true;
      const stop = () => {
        if (!open) return;
        open = false;
        watches.delete(stop);
        call.end();
      };
      watches.add(stop);
      call.on("cancelled", () => {
        open = false;
        watches.delete(stop);
      });
      const run = async () => {
        const caller = config.authenticate(call.metadata);
        rejectMalformed(call.request);
        authorize(caller, "read");
        const keep = calls.watchFilter(call.request);
        let checkpoint: Checkpoint = call.request.resumeToken
          ? calls.parseResumeToken(call.request.resumeToken)
          : call.request.fromStart
            ? START
            : await index.catchUp();
        while (open) {
          const page = await ctx.store.readAll(checkpoint, { limit: 500 });
          for (const e of page.events) {
            if (!open) return;
            checkpoint = { transactionId: e.transactionId, position: e.position };
            if (!keep(e)) continue;
            const more = call.write({
              event: calls.toRecordedEventPb(e),
              resumeToken: calls.resumeToken(checkpoint),
            });
            if (!more) await new Promise((resolve) => call.once("drain", resolve));
          }
          if (page.events.length === 0) await new Promise((r) => setTimeout(r, WATCH_POLL_MS));
        }
      };
      run().catch((error: unknown) => {
        if (!open) return;
        open = false;
        watches.delete(stop);
        const serviceError = toServiceError(error);
        if (serviceError.internal)
          log("error", "WatchEvents failed", {
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          });
        call.emit("error", serviceError);
      });
    },
  };

  const queueService: QueueServiceServer = {
    getQueue: unary("GetQueue", "read", (r) => queues.getQueue(ctx, r.name)),
    listQueues: unary("ListQueues", "read", (r) => queues.listQueues(ctx, r)),
  };

  const blobStore = (): BlobStore => {
    if (!config.eventStore.blobs)
      throw new PreconditionError([
        { type: "STORAGE", subject: "audio", description: "no blob store configured" },
      ]);
    return config.eventStore.blobs;
  };
  const fail = (method: string, error: unknown) => {
    const serviceError = toServiceError(error);
    if (serviceError.internal)
      log("error", `${method} failed`, {
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    return serviceError;
  };
  const audioService: AudioServiceServer = {
    // Client streaming: metadata, then chunks; the running size is checked as chunks arrive.
    uploadAudio: (call, callback) => {
      let caller: Caller;
      try {
        caller = config.authenticate(call.metadata);
        authorize(caller, "configure");
      } catch (error) {
        callback(fail("UploadAudio", error));
        return;
      }
      const messages: UploadAudioRequest[] = [];
      let total = 0;
      let failure: unknown;
      call.on("data", (m: UploadAudioRequest | MalformedRequest) => {
        if (failure !== undefined) return;
        try {
          rejectMalformed(m);
          const message = m as UploadAudioRequest;
          total += message.chunk?.length ?? 0;
          audioFiles.checkUploadSize(total);
          messages.push(message);
        } catch (error) {
          failure = error;
          callback(fail("UploadAudio", error));
        }
      });
      // Its deadline counts as for a unary call: nothing is recorded once it has passed.
      const abandoned = abandonment(call);
      call.on("end", () => {
        if (failure !== undefined) return;
        rpcScope
          .run(abandoned.signal, () => audioFiles.uploadAudio(ctx, blobStore(), caller, messages))
          .then(
            (file) => callback(null, file),
            (error: unknown) => {
              if (error instanceof RequestAbandonedError)
                log("info", "UploadAudio abandoned before it wrote anything", { why: error.why });
              callback(fail("UploadAudio", error));
            },
          )
          .finally(() => abandoned.done());
      });
    },
    getAudio: unary("GetAudio", "read", (r) => audioFiles.getAudio(ctx, r.name)),
    listAudio: unary("ListAudio", "read", (r) => audioFiles.listAudio(index, r)),
    deleteAudio: unary("DeleteAudio", "configure", async (r, c) => {
      await audioFiles.deleteAudio(ctx, blobStore(), c, r.name);
      return empty;
    }),
    downloadAudio: (call) => {
      const run = async () => {
        authorize(config.authenticate(call.metadata), "read");
        rejectMalformed(call.request);
        for await (const chunk of audioFiles.downloadAudio(ctx, blobStore(), call.request.name)) {
          if (call.cancelled) return;
          if (!call.write({ chunk: Buffer.from(chunk) }))
            await new Promise((resolve) => call.once("drain", resolve));
        }
        call.end();
      };
      run().catch((error: unknown) => call.emit("error", fail("DownloadAudio", error)));
    },
  };

  const maxBytes = config.maxMessageBytes ?? 4 * 1024 * 1024;
  const server = new Server({
    "grpc.max_receive_message_length": maxBytes,
    "grpc.max_send_message_length": 16 * 1024 * 1024,
  });
  server.addService(lenient(AgentServiceService), agentService);
  server.addService(lenient(GroupServiceService), groupService);
  server.addService(lenient(NumberServiceService), numberService);
  server.addService(lenient(AccountServiceService), accountService);
  server.addService(lenient(FlowServiceService), flowService);
  server.addService(lenient(CallServiceService), callService);
  server.addService(lenient(QueueServiceService), queueService);
  server.addService(lenient(AudioServiceService), audioService);

  const health = new HealthImplementation({ "": "NOT_SERVING" });
  health.addToServer(server);
  // Reflection describes the admin services and the health service.
  new ReflectionService(reflectionDefinitions()).addToServer(server);
  return {
    server,
    health,
    endWatches: () => {
      for (const stop of [...watches]) stop();
    },
  };
}

/**
 * The admin services' package definition for reflection, serving the files exactly as buf compiled them.
 * proto-loader regroups a descriptor set per package with relative type names and no imports declared,
 * which clients that build descriptors (grpcurl, protobuf-es, Python's descriptor pool) cannot resolve; so
 * every entry's `fileDescriptorProtos` is replaced by the original files (names, imports, qualified types).
 */
function reflectionDefinitions(): PackageDefinition {
  const set = adminDescriptorSet();
  const originals = fromBinary(FileDescriptorSetSchema, set).file.map((f) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, f)),
  );
  const definitions = loadFileDescriptorSetFromBuffer(set);
  for (const entry of Object.values(definitions))
    (entry as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos = originals;
  return { ...definitions, ...loadSync(healthProtoPath) };
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
