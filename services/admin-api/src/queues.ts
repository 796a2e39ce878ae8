// QueueService: each group's queue folded from its `queue-<group>` stream with the domain's evolveQueue.
// The estimate is deliberately simple and said so: position × the average wait of the last callers that
// were offered to an agent (no estimate until some were).
import { Queue } from "@switchyard/admin-proto";
import {
  EMPTY_QUEUE,
  evolveQueue,
  type GroupConfig,
  type QueueEvent,
  queueStreamId,
} from "@switchyard/routing-domain";
import type { ApiContext } from "./context.js";
import { ResourceNotFoundError } from "./errors.js";
import { paginate } from "./listing.js";
import { idFrom, nameOf } from "./names.js";

/** How many recent answered waits the estimate averages. */
const RECENT = 20;

async function queueOf(ctx: ApiContext, group: GroupConfig): Promise<Queue> {
  const events = await ctx.store.readStream(queueStreamId(group.groupId));
  let state = EMPTY_QUEUE;
  const enqueued = new Map<string, number>();
  const answeredWaits: number[] = [];
  for (const e of events) {
    const event = { type: e.type, data: e.data } as QueueEvent;
    state = evolveQueue(state, event);
    if (event.type === "CallerQueued") enqueued.set(event.data.callId, event.data.enqueuedAt);
    else if (event.data.reason === "agentOffered") {
      const since = enqueued.get(event.data.callId);
      if (since !== undefined) answeredWaits.push(event.data.at - since);
    }
  }
  const recent = answeredWaits.slice(-RECENT);
  const averageMs = recent.length === 0 ? 0 : recent.reduce((a, b) => a + b, 0) / recent.length;
  const now = ctx.clock.now();
  const entries = state.entries.map((entry, i) => ({
    call: `calls/${entry.callId}`,
    position: i + 1,
    enqueueTime: new Date(entry.enqueuedAt),
    waitSeconds: Math.max(0, Math.round((now - entry.enqueuedAt) / 1000)),
    estimatedWaitSeconds: Math.round(((i + 1) * averageMs) / 1000),
  }));
  return Queue.fromPartial({
    name: nameOf("queues", group.groupId),
    group: nameOf("groups", group.groupId),
    enabled: group.queue.enabled,
    maxSize: group.queue.maxSize,
    entries,
    longestWaitSeconds: entries[0]?.waitSeconds ?? 0,
    averageAnsweredWaitSeconds: Math.round(averageMs / 1000),
  });
}

export async function getQueue(ctx: ApiContext, name: string): Promise<Queue> {
  const groupId = idFrom("queues", name);
  const group = (await ctx.config.current()).snapshot.groups[groupId];
  if (!group) throw new ResourceNotFoundError("switchyard.admin.v1.Queue", name);
  return queueOf(ctx, group);
}

export async function listQueues(ctx: ApiContext, request: { pageSize: number; pageToken: string }) {
  const groups = Object.values((await ctx.config.current()).snapshot.groups);
  const page = paginate(groups, (g) => g.groupId, request);
  const queues: Queue[] = [];
  for (const g of page.items) queues.push(await queueOf(ctx, g));
  return { queues, nextPageToken: page.nextPageToken };
}
