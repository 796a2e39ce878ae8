// FlowService: versions are saved on the flow's own stream; publishing runs DefineFlow through the config
// decider and records which version is live, atomically.
import {
  FlowChange,
  FlowChange_Kind,
  Flow as FlowPb,
  type FlowProblem,
  FlowSpec,
  FlowVersion,
} from "@switchyard/admin-proto";
import { uploadedAudioIn } from "./audio-files.js";
import { type ConfigView, checkEtag, etagOf, resourceKey } from "./config-store.js";
import type { ApiContext, Caller } from "./context.js";
import { EtagMismatchError, InvalidRequestError, ResourceNotFoundError } from "./errors.js";
import { diffSpecs, flowProblems, toFlowSpec } from "./flow-spec.js";
import {
  type FlowVersionEvent,
  type FlowVersions,
  flowVersionStream,
  foldFlowVersions,
} from "./flow-versions.js";
import { type Page, paginate } from "./listing.js";
import { ID, idFrom, nameOf } from "./names.js";

const FLOW = "switchyard.admin.v1.Flow";
const VERSION = "switchyard.admin.v1.FlowVersion";

const versionName = (flowId: string, n: number) => `flows/${flowId}/versions/${n}`;

function parseVersionName(name: string, field: string): { flowId: string; version: number } {
  const m = /^flows\/([^/]+)\/versions\/([1-9][0-9]{0,8})$/.exec(name);
  if (!m || !ID.test(m[1]!))
    throw new InvalidRequestError([
      {
        field,
        description: `"${name.slice(0, 80)}" is not a resource name of the form flows/{flow}/versions/{n}`,
        reason: "INVALID_NAME",
      },
    ]);
  return { flowId: m[1]!, version: Number(m[2]) };
}

async function readVersions(ctx: ApiContext, flowId: string): Promise<FlowVersions> {
  return foldFlowVersions(await ctx.store.readStream(flowVersionStream(flowId)));
}

function toFlowVersion(flowId: string, versions: FlowVersions, n: number): FlowVersion {
  const saved = versions.versions[n - 1];
  if (!saved) throw new ResourceNotFoundError(VERSION, versionName(flowId, n));
  return FlowVersion.fromPartial({
    name: versionName(flowId, n),
    spec: toFlowSpec(saved.flow),
    createTime: new Date(saved.at),
    creator: saved.actor,
    published: versions.published === n,
  });
}

function toFlow(view: ConfigView, flowId: string, versions: FlowVersions): FlowPb {
  const flow = view.snapshot.flows[flowId];
  if (!flow) throw new ResourceNotFoundError(FLOW, nameOf("flows", flowId));
  return FlowPb.fromPartial({
    name: nameOf("flows", flowId),
    publishedVersion: versions.published === undefined ? "" : versionName(flowId, versions.published),
    spec: toFlowSpec(flow),
    etag: etagOf(view, resourceKey("flow", flowId)),
  });
}

function problemsError(problems: readonly FlowProblem[]): InvalidRequestError {
  return new InvalidRequestError(
    problems.map((p) => ({
      field: p.field,
      description: `[${p.applet}] ${p.description}`,
      reason: p.reason,
    })),
  );
}

export async function validateFlow(
  ctx: ApiContext,
  request: { name: string; spec?: FlowSpec },
): Promise<FlowProblem[]> {
  const flowId = request.name === "" ? "draft" : idFrom("flows", request.name);
  const view = await ctx.config.current();
  const spec = request.spec ?? FlowSpec.fromPartial({});
  const audioFiles = await uploadedAudioIn(ctx, spec);
  return flowProblems(flowId, spec, "spec", { ...view.snapshot, audioFiles }).problems;
}

export async function createFlowVersion(
  ctx: ApiContext,
  caller: Caller,
  request: { parent: string; spec?: FlowSpec; etag: string },
): Promise<FlowVersion> {
  const flowId = idFrom("flows", request.parent, "parent");
  const view = await ctx.config.current();
  const spec = request.spec ?? FlowSpec.fromPartial({});
  const audioFiles = await uploadedAudioIn(ctx, spec);
  const { flow, problems } = flowProblems(flowId, spec, "spec", { ...view.snapshot, audioFiles });
  if (problems.length > 0 || !flow) throw problemsError(problems);
  const before = await readVersions(ctx, flowId);
  const newest = before.versions.length === 0 ? "" : versionName(flowId, before.versions.length);
  if (request.etag !== "" && request.etag !== newest)
    throw new EtagMismatchError(request.parent, request.etag, newest);
  const version = before.versions.length + 1;
  const event: FlowVersionEvent = {
    type: "FlowVersionSaved",
    data: { version, flow, at: ctx.clock.now(), actor: caller.actor },
  };
  await ctx.store.append([
    {
      streamId: flowVersionStream(flowId),
      expectedVersion: before.streamVersion === 0 ? "no_stream" : before.streamVersion,
      events: [
        { eventId: ctx.newId(), type: event.type, data: event.data, metadata: { actor: caller.actor } },
      ],
    },
  ]);
  return toFlowVersion(flowId, await readVersions(ctx, flowId), version);
}

export async function getFlowVersion(ctx: ApiContext, name: string): Promise<FlowVersion> {
  const { flowId, version } = parseVersionName(name, "name");
  return toFlowVersion(flowId, await readVersions(ctx, flowId), version);
}

export async function listFlowVersions(
  ctx: ApiContext,
  request: { parent: string; pageSize: number; pageToken: string },
): Promise<Page<FlowVersion>> {
  const flowId = idFrom("flows", request.parent, "parent");
  const versions = await readVersions(ctx, flowId);
  if (versions.versions.length === 0 && !(await ctx.config.current()).snapshot.flows[flowId])
    throw new ResourceNotFoundError(FLOW, request.parent);
  // Newest first: keys that sort descending by version.
  const key = (n: number) => String(1e9 - n).padStart(10, "0");
  const page = paginate(
    versions.versions.map((v) => v.version),
    key,
    request,
  );
  return {
    items: page.items.map((n) => toFlowVersion(flowId, versions, n)),
    nextPageToken: page.nextPageToken,
  };
}

export async function publishFlowVersion(
  ctx: ApiContext,
  caller: Caller,
  request: { name: string; etag: string },
): Promise<FlowPb> {
  const { flowId, version } = parseVersionName(request.name, "name");
  const initial = await readVersions(ctx, flowId);
  const saved = initial.versions[version - 1];
  if (!saved) throw new ResourceNotFoundError(VERSION, request.name);
  // An audio file the version refers to may have been deleted since the version was saved.
  const spec = toFlowSpec(saved.flow);
  const audioFiles = await uploadedAudioIn(ctx, spec);
  const stale = flowProblems(flowId, spec, "spec", {
    ...(await ctx.config.current()).snapshot,
    audioFiles,
  }).problems.filter((p) => p.reason === "UNKNOWN_AUDIO");
  if (stale.length > 0) throw problemsError(stale);
  let versions = initial;
  const { view } = await ctx.config.execute(
    (v) => {
      checkEtag(v, resourceKey("flow", flowId), nameOf("flows", flowId), request.etag);
      return [{ type: "DefineFlow", flow: versions.versions[version - 1]!.flow }];
    },
    caller.actor,
    async () => {
      versions = await readVersions(ctx, flowId);
      return [
        {
          streamId: flowVersionStream(flowId),
          expectedVersion: versions.streamVersion,
          events: [
            {
              eventId: ctx.newId(),
              type: "FlowVersionPublished",
              data: { version, at: ctx.clock.now() },
              metadata: { actor: caller.actor },
            },
          ],
        },
      ];
    },
  );
  return toFlow(view, flowId, await readVersions(ctx, flowId));
}

export async function diffFlowVersions(
  ctx: ApiContext,
  request: { name: string; other: string },
): Promise<FlowChange[]> {
  const a = parseVersionName(request.name, "name");
  const b = parseVersionName(request.other, "other");
  const va = toFlowVersion(a.flowId, await readVersions(ctx, a.flowId), a.version);
  const vb = toFlowVersion(b.flowId, await readVersions(ctx, b.flowId), b.version);
  const kind = {
    added: FlowChange_Kind.KIND_ADDED,
    removed: FlowChange_Kind.KIND_REMOVED,
    changed: FlowChange_Kind.KIND_CHANGED,
  };
  return diffSpecs(va.spec!, vb.spec!).map((row) =>
    FlowChange.fromPartial({
      path: row.path,
      kind: kind[row.kind],
      before: row.before === undefined ? "" : JSON.stringify(row.before),
      after: row.after === undefined ? "" : JSON.stringify(row.after),
    }),
  );
}

export async function getFlow(ctx: ApiContext, name: string): Promise<FlowPb> {
  const flowId = idFrom("flows", name);
  return toFlow(await ctx.config.current(), flowId, await readVersions(ctx, flowId));
}

export async function listFlows(
  ctx: ApiContext,
  request: { pageSize: number; pageToken: string },
): Promise<Page<FlowPb>> {
  const view = await ctx.config.current();
  const page = paginate(Object.keys(view.snapshot.flows), (id) => id, request);
  const items: FlowPb[] = [];
  for (const id of page.items) items.push(toFlow(view, id, await readVersions(ctx, id)));
  return { items, nextPageToken: page.nextPageToken };
}

export async function deleteFlow(
  ctx: ApiContext,
  caller: Caller,
  request: { name: string; etag: string },
): Promise<void> {
  const flowId = idFrom("flows", request.name);
  await ctx.config.execute(
    (v) => {
      if (!v.snapshot.flows[flowId]) throw new ResourceNotFoundError(FLOW, request.name);
      checkEtag(v, resourceKey("flow", flowId), request.name, request.etag);
      return [{ type: "RemoveFlow", flowId }];
    },
    caller.actor,
    async () => {
      const versions = await readVersions(ctx, flowId);
      if (versions.published === undefined) return [];
      return [
        {
          streamId: flowVersionStream(flowId),
          expectedVersion: versions.streamVersion,
          events: [
            {
              eventId: ctx.newId(),
              type: "FlowUnpublished",
              data: { at: ctx.clock.now() },
              metadata: { actor: caller.actor },
            },
          ],
        },
      ];
    },
  );
}
