import type { Bus } from "@switchyard/bus";
import type { Clock } from "@switchyard/clock";
import type { EventStore } from "@switchyard/event-store";
import type { ConfigStore } from "./config-store.js";

/** What every handler works with: the platform's public ports, nothing else. */
export interface ApiContext {
  readonly store: Pick<EventStore, "append" | "readStream" | "streamVersion" | "readAll">;
  readonly config: ConfigStore;
  /** Publishes the inputs the router and agent presence decide. */
  readonly bus: Pick<Bus, "publish">;
  readonly clock: Clock;
  /** Unique ids for messages and events (randomUUID outside tests). */
  readonly newId: () => string;
}

/** Who is calling, for event metadata and permission checks. */
export interface Caller {
  /** e.g. "token:ops" or "anonymous". */
  readonly actor: string;
  readonly role: "admin" | "supervisor" | "agent" | "readonly";
  /** Role agent: the agent the caller is. */
  readonly agentId?: string;
}
