// The admin API's own stream per flow, `flowversion-<flowId>`: saved versions (drafts) and which one is
// published. Publishing appends FlowVersionPublished here and FlowDefined on the config stream in one
// transaction, so the live flow and the version history never disagree.
import type { RecordedEvent } from "@switchyard/event-store";
import type { Flow } from "@switchyard/routing-domain";

export const flowVersionStream = (flowId: string) => `flowversion-${flowId}`;

export type FlowVersionEvent =
  | {
      readonly type: "FlowVersionSaved";
      readonly data: {
        readonly version: number;
        readonly flow: Flow;
        readonly at: number;
        readonly actor: string;
      };
    }
  | {
      readonly type: "FlowVersionPublished";
      readonly data: { readonly version: number; readonly at: number };
    }
  | { readonly type: "FlowUnpublished"; readonly data: { readonly at: number } };

export interface SavedVersion {
  readonly version: number;
  readonly flow: Flow;
  readonly at: number;
  readonly actor: string;
}

export interface FlowVersions {
  readonly versions: readonly SavedVersion[];
  readonly published?: number;
  /** The stream's version (0: no stream). */
  readonly streamVersion: number;
}

export const NO_VERSIONS: FlowVersions = { versions: [], streamVersion: 0 };

export function evolveFlowVersions(
  state: FlowVersions,
  event: FlowVersionEvent,
  streamVersion: number,
): FlowVersions {
  switch (event.type) {
    case "FlowVersionSaved":
      return { ...state, streamVersion, versions: [...state.versions, event.data] };
    case "FlowVersionPublished":
      return { ...state, streamVersion, published: event.data.version };
    case "FlowUnpublished": {
      const { published: _, ...rest } = state;
      return { ...rest, streamVersion };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown flow version event ${JSON.stringify(unknown)}`);
    }
  }
}

export const foldFlowVersions = (events: readonly RecordedEvent[]): FlowVersions =>
  events.reduce(
    (s, e) => evolveFlowVersions(s, { type: e.type, data: e.data } as FlowVersionEvent, e.streamVersion),
    NO_VERSIONS,
  );
