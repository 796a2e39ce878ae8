// GroupService: DefineGroup / RemoveGroup config commands through the domain's config decider.
import { Group, QueueSettings as QueueSettingsPb, Strategy as StrategyPb } from "@switchyard/admin-proto";
import {
  type ConfigCommand,
  DEFAULT_QUEUE,
  type GroupConfig,
  type QueueSettings,
  STRATEGIES,
  type Strategy,
  snakeCase,
} from "@switchyard/routing-domain";
import { fromAudioPb, toAudioPb } from "./audio.js";
import { uploadedAudioIn } from "./audio-files.js";
import { type ConfigView, checkEtag, etagOf, removeResource, resourceKey } from "./config-store.js";
import type { ApiContext, Caller } from "./context.js";
import {
  type FieldViolation,
  InvalidRequestError,
  ResourceExistsError,
  ResourceNotFoundError,
} from "./errors.js";
import { type Page, paginate, parseFilter } from "./listing.js";
import { createViolations, idFrom, nameOf, parseName, requireResource, textViolation } from "./names.js";

const TYPE = "switchyard.admin.v1.Group";
const MAX_TEXT = 200;
const MAX_MEMBERS = 1_000;
const MAX_SECONDS = 86_400;

/** The proto enum value's name of a strategy: `longestIdle` ↔ `STRATEGY_LONGEST_IDLE`. */
export const strategyPbName = (strategy: Strategy): string => `STRATEGY_${snakeCase(strategy).toUpperCase()}`;

// Derived from the domain's registry by name, so a new strategy needs only its enum value in groups.proto (a
// public API addition); one missing fails at start-up rather than being written as UNSPECIFIED.
const STRATEGY = new Map<Strategy, StrategyPb>(
  STRATEGIES.map((s) => {
    const value = (StrategyPb as unknown as Record<string, StrategyPb | undefined>)[strategyPbName(s)];
    if (value === undefined)
      throw new Error(`strategy ${s} has no ${strategyPbName(s)} in proto/switchyard/admin/v1/groups.proto`);
    return [s, value];
  }),
);
const FROM_STRATEGY = new Map<StrategyPb, Strategy>([...STRATEGY].map(([k, v]) => [v, k]));

/** The strategy an enum value names; undefined for UNSPECIFIED and values no strategy has. */
export const strategyFromPb = (value: StrategyPb): Strategy | undefined => FROM_STRATEGY.get(value);

/** A group's definition as a message (no etag): what `switchyard apply` sends. */
export const groupDefinitionPb = (g: GroupConfig): Group => ({ ...toGroup(undefined, g), etag: "" });

export function toGroup(view: ConfigView | undefined, g: GroupConfig): Group {
  return Group.fromPartial({
    name: nameOf("groups", g.groupId),
    displayName: g.name,
    strategy: STRATEGY.get(g.strategy) as StrategyPb,
    members: g.members.map((m) => nameOf("agents", m)),
    ringTimeoutSeconds: g.ringTimeoutSec,
    maxRingAttempts: g.maxRingAttempts,
    queue: QueueSettingsPb.fromPartial({
      enabled: g.queue.enabled,
      holdMusic: toAudioPb(g.queue.holdMusic),
      announcePosition: g.queue.announcePosition,
      announceEverySeconds: g.queue.announceEverySec,
      maxWaitSeconds: g.queue.maxWaitSec,
      maxSize: g.queue.maxSize,
      priority: g.queue.priority,
      ...(g.queue.callback
        ? {
            callback: {
              offerAfterSeconds: g.queue.callback.offerAfterSec,
              key: g.queue.callback.key,
              maxAttempts: g.queue.callback.maxAttempts,
              retryAfterSeconds: g.queue.callback.retryAfterSec,
            },
          }
        : {}),
    }),
    ...(g.maxMissedOffers === undefined ? {} : { maxMissedOffers: g.maxMissedOffers }),
    ...(g.missedOfferCooldownSec === undefined
      ? {}
      : { missedOfferCooldownSeconds: g.missedOfferCooldownSec }),
    etag: view === undefined ? "" : etagOf(view, resourceKey("group", g.groupId)),
  });
}

const inRange = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;

/** The DefineGroup command for a group message, every problem listed with its field path. */
function defineGroup(view: ConfigView, groupId: string, g: Group, prefix: string): ConfigCommand {
  const violations: FieldViolation[] = [];
  const v = (field: string, description: string, reason: string) =>
    violations.push({ field: `${prefix}.${field}`, description, reason });
  const badName = textViolation(g.displayName, `${prefix}.display_name`, { max: MAX_TEXT });
  if (badName) violations.push(badName);
  const strategy = FROM_STRATEGY.get(g.strategy);
  if (strategy === undefined) v("strategy", "one of the STRATEGY_ values is required", "INVALID_ENUM");
  if (g.members.length > MAX_MEMBERS) v("members", `at most ${MAX_MEMBERS}`, "TOO_MANY");
  const members: string[] = [];
  g.members.slice(0, MAX_MEMBERS).forEach((m, i) => {
    const parsed = parseName("agents", m, `${prefix}.members[${i}]`);
    if ("violation" in parsed) violations.push(parsed.violation);
    else if (!view.snapshot.agents[parsed.id])
      v(`members[${i}]`, `agent "${parsed.id}" does not exist`, "UNKNOWN_AGENT");
    else if (members.includes(parsed.id))
      v(`members[${i}]`, `agent "${parsed.id}" is listed twice`, "DUPLICATE");
    else members.push(parsed.id);
  });
  const ringTimeoutSec = g.ringTimeoutSeconds === 0 ? 30 : g.ringTimeoutSeconds;
  if (!inRange(ringTimeoutSec, 1, 3_600))
    v("ring_timeout_seconds", "between 1 and 3600 (0: 30)", "OUT_OF_RANGE");
  const maxRingAttempts = g.maxRingAttempts === 0 ? 1 : g.maxRingAttempts;
  if (!inRange(maxRingAttempts, 1, 100)) v("max_ring_attempts", "between 1 and 100 (0: 1)", "OUT_OF_RANGE");
  let queue: QueueSettings = DEFAULT_QUEUE;
  if (g.queue) {
    const q = g.queue;
    const holdMusic = q.holdMusic
      ? fromAudioPb(q.holdMusic, `${prefix}.queue.hold_music`, violations)
      : undefined;
    queue = {
      enabled: q.enabled,
      holdMusic: holdMusic ?? DEFAULT_QUEUE.holdMusic,
      announcePosition: q.announcePosition,
      announceEverySec:
        q.announceEverySeconds === 0 ? DEFAULT_QUEUE.announceEverySec : q.announceEverySeconds,
      maxWaitSec: q.maxWaitSeconds === 0 ? DEFAULT_QUEUE.maxWaitSec : q.maxWaitSeconds,
      maxSize: q.maxSize === 0 ? DEFAULT_QUEUE.maxSize : q.maxSize,
      priority: q.priority,
      ...(q.callback
        ? {
            callback: {
              offerAfterSec: q.callback.offerAfterSeconds,
              key: q.callback.key,
              maxAttempts: q.callback.maxAttempts,
              retryAfterSec: q.callback.retryAfterSeconds,
            },
          }
        : {}),
    };
    if (!inRange(queue.announceEverySec, 1, MAX_SECONDS))
      v("queue.announce_every_seconds", `between 1 and ${MAX_SECONDS}`, "OUT_OF_RANGE");
    if (!inRange(queue.maxWaitSec, 1, MAX_SECONDS))
      v("queue.max_wait_seconds", `between 1 and ${MAX_SECONDS}`, "OUT_OF_RANGE");
    if (!inRange(queue.maxSize, 1, 100_000)) v("queue.max_size", "between 1 and 100000", "OUT_OF_RANGE");
    if (!inRange(queue.priority, 0, 1_000)) v("queue.priority", "between 0 and 1000", "OUT_OF_RANGE");
    const cb = queue.callback;
    if (cb) {
      if (!inRange(cb.offerAfterSec, 1, MAX_SECONDS))
        v("queue.callback.offer_after_seconds", `between 1 and ${MAX_SECONDS}`, "OUT_OF_RANGE");
      if (!inRange(cb.retryAfterSec, 1, MAX_SECONDS))
        v("queue.callback.retry_after_seconds", `between 1 and ${MAX_SECONDS}`, "OUT_OF_RANGE");
      if (!inRange(cb.maxAttempts, 1, 20))
        v("queue.callback.max_attempts", "between 1 and 20", "OUT_OF_RANGE");
      if (!/^[0-9*#]$/.test(cb.key)) v("queue.callback.key", "one of 0-9, * or #", "INVALID_KEY");
    }
  }
  if (g.maxMissedOffers !== undefined && !inRange(g.maxMissedOffers, 0, 1_000))
    v("max_missed_offers", "between 0 and 1000", "OUT_OF_RANGE");
  if (g.missedOfferCooldownSeconds !== undefined && !inRange(g.missedOfferCooldownSeconds, 0, MAX_SECONDS))
    v("missed_offer_cooldown_seconds", `between 0 and ${MAX_SECONDS}`, "OUT_OF_RANGE");
  if (violations.length > 0 || strategy === undefined) throw new InvalidRequestError(violations);
  return {
    type: "DefineGroup",
    groupId,
    name: g.displayName,
    strategy,
    members,
    ringTimeoutSec,
    maxRingAttempts,
    queue,
    ...(g.maxMissedOffers === undefined ? {} : { maxMissedOffers: g.maxMissedOffers }),
    ...(g.missedOfferCooldownSeconds === undefined
      ? {}
      : { missedOfferCooldownSec: g.missedOfferCooldownSeconds }),
  };
}

function configured(view: ConfigView, groupId: string): GroupConfig {
  const g = view.snapshot.groups[groupId];
  if (!g) throw new ResourceNotFoundError(TYPE, nameOf("groups", groupId));
  return g;
}

export async function getGroup(ctx: ApiContext, name: string): Promise<Group> {
  const id = idFrom("groups", name);
  const view = await ctx.config.current();
  return toGroup(view, configured(view, id));
}

/** A queue's hold music naming an audio file that is not uploaded: INVALID_ARGUMENT at its field. */
function checkHoldMusic(command: ConfigCommand, known: ReadonlySet<string>): void {
  if (command.type !== "DefineGroup") return;
  const music = command.queue?.holdMusic;
  if (music?.kind === "stored" && !known.has(music.audioId))
    throw new InvalidRequestError([
      {
        field: "group.queue.hold_music.audio_file",
        description: `audio file "${music.audioId}" has not been uploaded`,
        reason: "UNKNOWN_AUDIO",
      },
    ]);
}

export async function createGroup(
  ctx: ApiContext,
  caller: Caller,
  request: { groupId: string; group?: Group },
): Promise<Group> {
  const violations = createViolations(request.groupId, "group_id", request.group, "group");
  if (violations.length > 0 || !request.group) throw new InvalidRequestError(violations);
  const group = request.group;
  const audioFiles = await uploadedAudioIn(ctx, group);
  const { view } = await ctx.config.execute((v) => {
    // The request is validated first: a bad request is INVALID_ARGUMENT whether or not the id is taken.
    const command = defineGroup(v, request.groupId, group, "group");
    checkHoldMusic(command, audioFiles);
    if (v.snapshot.groups[request.groupId])
      throw new ResourceExistsError(TYPE, nameOf("groups", request.groupId));
    return [command];
  }, caller.actor);
  return toGroup(view, configured(view, request.groupId));
}

const UPDATABLE = [
  "display_name",
  "strategy",
  "members",
  "ring_timeout_seconds",
  "max_ring_attempts",
  "queue",
  "max_missed_offers",
  "missed_offer_cooldown_seconds",
] as const;

export async function updateGroup(
  ctx: ApiContext,
  caller: Caller,
  request: { group?: Group; updateMask?: string[] },
): Promise<Group> {
  const patch = requireResource(request.group, "group");
  const id = idFrom("groups", patch.name, "group.name");
  const mask = request.updateMask ?? [];
  const unknown = mask.filter((p) => p !== "*" && !(UPDATABLE as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new InvalidRequestError(
      unknown.map((p) => ({
        field: "update_mask",
        description: `"${p.slice(0, 60)}" cannot be updated (updatable: ${UPDATABLE.join(", ")})`,
        reason: "INVALID_FIELD_MASK",
      })),
    );
  // No mask or "*": replace the whole definition (AIP-134 full replacement).
  const all = mask.length === 0 || mask.includes("*");
  // The files the patch names, and the one the group has now (kept when the mask leaves the queue out).
  const before = (await ctx.config.current()).snapshot.groups[id];
  const audioFiles = await uploadedAudioIn(ctx, [
    patch,
    ...(before ? [{ audioFile: toAudioPb(before.queue.holdMusic).audioFile }] : []),
  ]);
  const { view } = await ctx.config.execute((v) => {
    const current = toGroup(v, configured(v, id));
    checkEtag(v, resourceKey("group", id), patch.name, patch.etag);
    const take = <K extends keyof Group>(key: K, path: string): Group[K] =>
      all || mask.includes(path) ? patch[key] : current[key];
    const merged = Group.fromPartial({
      displayName: take("displayName", "display_name"),
      strategy: take("strategy", "strategy"),
      members: take("members", "members"),
      ringTimeoutSeconds: take("ringTimeoutSeconds", "ring_timeout_seconds"),
      maxRingAttempts: take("maxRingAttempts", "max_ring_attempts"),
      queue: take("queue", "queue"),
      maxMissedOffers: take("maxMissedOffers", "max_missed_offers"),
      missedOfferCooldownSeconds: take("missedOfferCooldownSeconds", "missed_offer_cooldown_seconds"),
    });
    const command = defineGroup(v, id, merged, "group");
    checkHoldMusic(command, audioFiles);
    return [command];
  }, caller.actor);
  return toGroup(view, configured(view, id));
}

export async function deleteGroup(
  ctx: ApiContext,
  caller: Caller,
  request: { name: string; etag: string },
): Promise<void> {
  const id = idFrom("groups", request.name);
  await removeResource(ctx.config, caller.actor, request, ["group", id], (v) => configured(v, id));
}

export async function listGroups(
  ctx: ApiContext,
  request: { pageSize: number; pageToken: string; filter: string },
): Promise<Page<Group>> {
  const terms = parseFilter(request.filter, ["member", "strategy"]);
  const view = await ctx.config.current();
  let groups = Object.values(view.snapshot.groups);
  for (const term of terms) {
    if (term.field === "member") {
      const parsed = parseName("agents", term.value, "filter");
      if ("violation" in parsed) throw new InvalidRequestError([parsed.violation]);
      groups = groups.filter((g) => g.members.includes(parsed.id));
    } else {
      const strategy = STRATEGIES.find((s) => strategyPbName(s) === term.value);
      if (strategy === undefined)
        throw new InvalidRequestError([
          {
            field: "filter",
            description: `unknown strategy "${term.value.slice(0, 40)}"`,
            reason: "INVALID_FILTER",
          },
        ]);
      groups = groups.filter((g) => g.strategy === strategy);
    }
  }
  const page = paginate(groups, (g) => g.groupId, request);
  return { items: page.items.map((g) => toGroup(view, g)), nextPageToken: page.nextPageToken };
}
