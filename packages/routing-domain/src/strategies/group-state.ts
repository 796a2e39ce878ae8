/** Per-group routing state that outlives a call: the Round-Robin cursor, in stream `group-<groupId>`. */
export interface GroupRuntimeState {
  /** The agent offered the group's most recent Round-Robin call. */
  readonly cursor?: string;
}

export const groupStreamId = (groupId: string): string => `group-${groupId}`;

export type GroupEvent = {
  readonly type: "RoundRobinCursorAdvanced";
  readonly data: { readonly agentId: string; readonly callId: string };
};

export function evolveGroup(state: GroupRuntimeState, event: GroupEvent): GroupRuntimeState {
  switch (event.type) {
    case "RoundRobinCursorAdvanced":
      return { ...state, cursor: event.data.agentId };
    default: {
      const unknown: never = event.type;
      throw new Error(`unknown group event ${String(unknown)}`);
    }
  }
}

export interface GroupViewEntry {
  readonly state: GroupRuntimeState;
  readonly version: number;
}
export type GroupView = Readonly<Record<string, GroupViewEntry>>;
