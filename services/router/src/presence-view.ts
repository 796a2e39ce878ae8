import type { Bus, KvWatch } from "@switchyard/bus";
import { type PresenceRecord, presenceBucket } from "@switchyard/contracts";
import type { DecisionView, StreamCache } from "@switchyard/decision-runtime";
import {
  type AgentState,
  agentIdOfStream,
  agentStreamId,
  type ConfigSnapshot,
  type PresenceEntry,
} from "@switchyard/routing-domain";
import type { RouterLog } from "./log.js";
import { GroupMemberIndex } from "./member-index.js";

/** Groups at least this large are routed from ordered indexes instead of a scan of every member. */
export const INDEXED_GROUP_SIZE = 64;

/**
 * What the router knows about agents: a live copy of agent-presence's KV bucket (kept by a watcher), and
 * the agent streams this router read or wrote itself (the stream cache), whichever is newer. The view may
 * lag; a reservation is checked by the agent stream's expected version.
 */
export class PresenceView {
  readonly #records = new Map<string, PresenceRecord>();
  /** Indexes of large groups, per config version; and the indexed groups of each agent. */
  #indexes = new Map<string, GroupMemberIndex>();
  #indexedGroupsOf = new Map<string, string[]>();
  #indexedConfigVersion = -1;
  #watch: KvWatch | undefined;

  private constructor(private readonly cache: StreamCache) {
    cache.onChange((streamId) => {
      const agentId = agentIdOfStream(streamId);
      if (agentId !== undefined) this.#reindex(agentId);
    });
  }

  static async start(
    bus: Bus,
    cache: StreamCache,
    options: { bucket?: string; log: RouterLog },
  ): Promise<PresenceView> {
    const view = new PresenceView(cache);
    const kv = await bus.keyValue<PresenceRecord>(options.bucket ?? presenceBucket(bus.names.prefix));
    const unreadable = (key: string, err: unknown) =>
      options.log("warn", "unreadable presence entry", { key, error: String(err) });
    view.#watch = kv.watch((entry) => {
      try {
        view.#apply(entry.value);
      } catch (err) {
        unreadable(entry.key, err);
      }
    }, unreadable);
    return view;
  }

  #apply(rec: PresenceRecord): void {
    const had = this.#records.get(rec.agentId);
    if (!had || had.version < rec.version) {
      this.#records.set(rec.agentId, rec);
      this.#reindex(rec.agentId);
    }
  }

  #reindex(agentId: string): void {
    const groups = this.#indexedGroupsOf.get(agentId);
    if (!groups) return;
    const state = this.entry(agentId)?.state;
    for (const g of groups) this.#indexes.get(g)?.update(agentId, state);
  }

  /**
   * The member index of a large group (undefined for small ones, which are scanned), kept current with
   * every presence change this router sees; rebuilt when the configuration changes.
   */
  memberIndex(groupId: string, cfg: ConfigSnapshot): GroupMemberIndex | undefined {
    const group = cfg.groups[groupId];
    if (!group || group.members.length < INDEXED_GROUP_SIZE) return undefined;
    if (cfg.version !== this.#indexedConfigVersion) {
      this.#indexes = new Map();
      this.#indexedGroupsOf = new Map();
      this.#indexedConfigVersion = cfg.version;
    }
    let index = this.#indexes.get(groupId);
    if (!index) {
      index = new GroupMemberIndex(group.members);
      this.#indexes.set(groupId, index);
      for (const a of group.members) {
        this.#indexedGroupsOf.set(a, [...(this.#indexedGroupsOf.get(a) ?? []), groupId]);
        index.update(a, this.entry(a)?.state);
      }
    }
    return index;
  }

  /**
   * One agent's presence. Inside a decision (`view` given) the agent's own stream is seen as advanced by
   * the batch's earlier decisions, and reading it is checked at commit.
   */
  entry(agentId: string, view?: DecisionView): PresenceEntry | undefined {
    const record = this.#records.get(agentId);
    const streamId = agentStreamId(agentId);
    const own = view ? view.peek<AgentState>(streamId) : this.cache.cached<AgentState>(streamId);
    if (own && (!record || own.version > record.version)) return view ? view.read<AgentState>(streamId) : own;
    return record ? { state: record.state, version: record.version } : undefined;
  }

  /** The presence of many agents, resolved only when the decision looks one up. */
  lazy(view: DecisionView): Readonly<Record<string, PresenceEntry>> {
    return new Proxy({} as Record<string, PresenceEntry>, {
      get: (_, key) => (typeof key === "string" ? this.entry(key, view) : undefined),
    });
  }

  async stop(): Promise<void> {
    await this.#watch?.stop();
  }
}
