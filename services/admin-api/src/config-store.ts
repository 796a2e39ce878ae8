// The configuration as the admin API sees it: the `config` stream folded with the domain's evolveConfig,
// plus, per resource, the config version that last defined it (its etag). Writes run the domain's config
// decider on the current state and append with the stream's expected version; a conflict re-reads and
// re-decides (the request's own etag checks run again on the new state).
import { randomUUID } from "node:crypto";
import { type EventStore, type StreamAppend, WrongExpectedVersionError } from "@switchyard/event-store";
import {
  CONFIG_STREAM,
  type ConfigCommand,
  type ConfigEvent,
  type ConfigSnapshot,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
} from "@switchyard/routing-domain";
import { ConcurrentWriteError, EtagMismatchError } from "./errors.js";

export interface ConfigView {
  readonly snapshot: ConfigSnapshot;
  /** The config stream's version (0: no stream). */
  readonly streamVersion: number;
  /** Key (see `resourceKey`) → the config version that last defined or removed it. */
  readonly etags: ReadonlyMap<string, number>;
}

export const resourceKey = (kind: "agent" | "group" | "number" | "flow", id: string): string =>
  `${kind}:${id}`;

function keyOf(event: ConfigEvent): string | undefined {
  switch (event.type) {
    case "AccountConfigured":
      return "account:";
    case "AgentDefined":
      return resourceKey("agent", event.data.agent.agentId);
    case "AgentRemoved":
      return resourceKey("agent", event.data.agentId);
    case "GroupDefined":
      return resourceKey("group", event.data.group.groupId);
    case "GroupRemoved":
      return resourceKey("group", event.data.groupId);
    case "NumberDefined":
      return resourceKey("number", event.data.number.number);
    case "NumberRemoved":
      return resourceKey("number", event.data.number);
    case "FlowDefined":
      return resourceKey("flow", event.data.flow.flowId);
    case "FlowRemoved":
      return resourceKey("flow", event.data.flowId);
    default: {
      const unknown: never = event;
      throw new Error(`unknown config event ${JSON.stringify(unknown)}`);
    }
  }
}

/** The etag clients see for a resource: the config version that last defined it. */
export const etagOf = (view: ConfigView, key: string): string => String(view.etags.get(key) ?? 0);

/** Throws EtagMismatchError when the client sent an etag that is not the resource's current one. */
export function checkEtag(view: ConfigView, key: string, resourceName: string, etag: string): void {
  if (etag === "") return;
  const actual = etagOf(view, key);
  if (etag !== actual) throw new EtagMismatchError(resourceName, etag, actual);
}

const REMOVE = {
  agent: (agentId: string): ConfigCommand => ({ type: "RemoveAgent", agentId }),
  group: (groupId: string): ConfigCommand => ({ type: "RemoveGroup", groupId }),
  number: (number: string): ConfigCommand => ({ type: "RemoveNumber", number }),
  flow: (flowId: string): ConfigCommand => ({ type: "RemoveFlow", flowId }),
};

/**
 * The one way a resource is deleted: `ensure` throws if it is not configured, the request's etag must be
 * the resource's, then it is removed (decided again on a conflict).
 */
export function removeResource(
  config: Pick<ConfigStore, "execute">,
  actor: string,
  request: { readonly name: string; readonly etag: string },
  [kind, id]: [keyof typeof REMOVE, string],
  ensure: (view: ConfigView) => unknown,
): Promise<unknown> {
  return config.execute((view) => {
    ensure(view);
    checkEtag(view, resourceKey(kind, id), request.name, request.etag);
    return [REMOVE[kind](id)];
  }, actor);
}

const MAX_ATTEMPTS = 5;

export class ConfigStore {
  private view: ConfigView = { snapshot: EMPTY_CONFIG, streamVersion: 0, etags: new Map() };

  constructor(private readonly store: Pick<EventStore, "append" | "readStream">) {}

  /** The current configuration: reads only the events appended since the last read. */
  async current(): Promise<ConfigView> {
    const fresh = await this.store.readStream(CONFIG_STREAM, { fromVersion: this.view.streamVersion + 1 });
    if (fresh.length === 0) return this.view;
    let { snapshot, streamVersion } = this.view;
    const etags = new Map(this.view.etags);
    for (const recorded of fresh) {
      // Another writer may have appended a later batch meanwhile: fold only what follows ours.
      if (recorded.streamVersion <= streamVersion) continue;
      const event = { type: recorded.type, data: recorded.data } as ConfigEvent;
      snapshot = evolveConfig(snapshot, event);
      streamVersion = recorded.streamVersion;
      const key = keyOf(event);
      if (key !== undefined) etags.set(key, event.data.version);
    }
    this.view = { snapshot, streamVersion, etags };
    return this.view;
  }

  /**
   * Decides `plan(view)`'s commands on the current configuration and appends the resulting events with the
   * stream's expected version. `plan` runs again after a conflict, so its checks see the newer state.
   */
  async execute(
    plan: (view: ConfigView) => readonly ConfigCommand[],
    actor: string,
    /** Other streams' appends that must commit atomically with these config events (read afresh per try). */
    also?: () => Promise<readonly StreamAppend[]>,
  ): Promise<{ view: ConfigView; events: readonly ConfigEvent[] }> {
    for (let attempt = 1; ; attempt++) {
      const view = await this.current();
      const others = also ? await also() : [];
      let state = view.snapshot;
      const events: ConfigEvent[] = [];
      for (const command of plan(view)) {
        for (const event of decideConfig(command, state)) {
          state = evolveConfig(state, event);
          events.push(event);
        }
      }
      if (events.length === 0) return { view, events };
      try {
        await this.store.append([
          {
            streamId: CONFIG_STREAM,
            expectedVersion: view.streamVersion === 0 ? "no_stream" : view.streamVersion,
            events: events.map((e) => ({
              eventId: randomUUID(),
              type: e.type,
              data: e.data,
              metadata: { actor },
            })),
          },
          ...others,
        ]);
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        // A conflict on another stream is the caller's (e.g. its etag): only config conflicts are retried.
        if (error.streamId !== CONFIG_STREAM) throw error;
        if (attempt >= MAX_ATTEMPTS) throw new ConcurrentWriteError(CONFIG_STREAM, { cause: error });
        continue;
      }
      return { view: await this.current(), events };
    }
  }
}
