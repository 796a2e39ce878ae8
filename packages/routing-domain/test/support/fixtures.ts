import type { Applet, ConfigCommand } from "../../src/index.js";
import { AGENTS, BUSINESS, World } from "./world.js";

export interface WorldOptions {
  readonly applets: Record<string, Applet>;
  readonly start?: string;
  readonly groups?: readonly ConfigCommand[];
  readonly account?: ConfigCommand;
  /** The flow's app-level recording default (absent: the account's). */
  readonly recordCalls?: boolean;
  /** Agents signed in at T0 (default: all four). */
  readonly signIn?: readonly string[];
}

/** Four agents (ann, bob, cid, dee), the given groups, one flow "main" on the business number. */
export function worldWith(options: WorldOptions): World {
  const w = new World([
    ...AGENTS,
    ...(options.account ? [options.account] : []),
    ...(options.groups ?? []),
    {
      type: "DefineFlow",
      flow: {
        flowId: "main",
        name: "Main",
        start: options.start ?? "connect",
        applets: options.applets,
        ...(options.recordCalls === undefined ? {} : { recordCalls: options.recordCalls }),
      },
    },
    { type: "DefineNumber", number: BUSINESS, flowId: "main" },
  ]);
  w.signIn(options.signIn ?? ["ann", "bob", "cid", "dee"]);
  return w;
}

export const group = (
  groupId: string,
  strategy: "roundRobin" | "simultaneous" | "sequential" | "longestIdle" | "leastCalls",
  members: readonly string[],
  extra: Partial<Extract<ConfigCommand, { type: "DefineGroup" }>> = {},
): ConfigCommand => ({ type: "DefineGroup", groupId, name: groupId, strategy, members, ...extra });

export const hangup: Applet = { kind: "hangup" };

type ConnectApplet = Extract<Applet, { kind: "connect" }>;

/** A flow that connects the caller straight to agent ann (Agent A of the transfer tests), else hangs up. */
export const connectToAnn = (extra: Partial<ConnectApplet> = {}): Record<string, Applet> => ({
  connect: {
    kind: "connect",
    target: { kind: "agent", agentId: "ann" },
    branches: { fallback: "bye" },
    ...extra,
  },
  bye: hangup,
});

/** A flow that connects the caller to a group (queue settings are the group's), else hangs up. */
export const connectToGroup = (
  groupId: string,
  extra: Partial<ConnectApplet> = {},
): Record<string, Applet> => ({
  connect: {
    kind: "connect",
    target: { kind: "group", groupId },
    branches: { fallback: "bye" },
    ...extra,
  },
  bye: hangup,
});
