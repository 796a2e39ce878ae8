import type { Bus } from "@switchyard/bus";
import { type PresenceRecord, presenceBucket } from "@switchyard/contracts";
import type { DecisionView, StreamCache } from "@switchyard/decision-runtime";
import { type AgentState, agentStreamId, type PresenceEntry } from "@switchyard/routing-domain";
import type { KV } from "nats";
import type { RouterLog } from "./log.js";

/**
 * What the router knows about agents: a live copy of agent-presence's KV bucket (kept by a watcher), and
 * the agent streams this router read or wrote itself (the stream cache), whichever is newer. The view may
 * lag; a reservation is checked by the agent stream's expected version.
 */
export class PresenceView {
  readonly #records = new Map<string, PresenceRecord>();
  #watcher: Awaited<ReturnType<KV["watch"]>> | undefined;
  #watching: Promise<void> = Promise.resolve();

  private constructor(private readonly cache: StreamCache) {}

  static async start(
    bus: Bus,
    cache: StreamCache,
    options: { bucket?: string; log: RouterLog },
  ): Promise<PresenceView> {
    const view = new PresenceView(cache);
    const kv: KV = await bus.connection
      .jetstream()
      .views.kv(options.bucket ?? presenceBucket(bus.names.prefix), { history: 1 });
    const watcher = await kv.watch({ key: ">" });
    view.#watcher = watcher;
    view.#watching = (async () => {
      for await (const entry of watcher) {
        if (entry.operation !== "PUT") continue;
        try {
          view.#apply(entry.json<PresenceRecord>());
        } catch (err) {
          options.log("warn", "unreadable presence entry", { key: entry.key, error: String(err) });
        }
      }
    })();
    return view;
  }

  #apply(rec: PresenceRecord): void {
    const had = this.#records.get(rec.agentId);
    if (!had || had.version < rec.version) this.#records.set(rec.agentId, rec);
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
    this.#watcher?.stop();
    await this.#watching.catch(() => undefined);
  }
}
