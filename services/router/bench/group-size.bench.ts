// Cost of one routing decision (StartCall into a Connect to a group) by group size, with the router's member
// index (groups ≥ 64 members) and with the scan of every member the domain does for small groups:
//   node --import tsx services/router/bench/group-size.bench.ts
// Pure CPU (no database, no bus): what the router spends deciding, per strategy.
import {
  type AgentState,
  type ConfigCommand,
  type ConfigSnapshot,
  decideCall,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
  INITIAL_AGENT,
  INITIAL_CALL,
  type Strategy,
} from "@switchyard/routing-domain";
import { GroupMemberIndex } from "../src/member-index.js";

const NOW = Date.UTC(2026, 10, 30, 12);

function world(n: number, strategy: Strategy) {
  const ids = Array.from({ length: n }, (_, i) => `a${i}`);
  const apply = (cfg: ConfigSnapshot, c: ConfigCommand) =>
    decideConfig(c, cfg).reduce<ConfigSnapshot>((s, e) => evolveConfig(s, e), cfg);
  // One agent through the config decider, copied for the others (deciding 100,000 of them one by one
  // copies the whole configuration each time).
  let config = apply(EMPTY_CONFIG, {
    type: "DefineAgent",
    agentId: "a0",
    name: "a0",
    contact: { kind: "phone", number: "+14151000000" },
  });
  const template = config.agents.a0!;
  config = {
    ...config,
    agents: Object.fromEntries(
      ids.map((agentId, i) => [
        agentId,
        {
          ...template,
          agentId,
          name: agentId,
          contact: { kind: "phone", number: `+1415${String(1_000_000 + i)}` },
        },
      ]),
    ),
  };
  for (const c of [
    { type: "DefineGroup", groupId: "g", name: "g", strategy, members: ids, ringTimeoutSec: 20 },
    {
      type: "DefineFlow",
      flow: {
        flowId: "f",
        name: "f",
        start: "c",
        applets: {
          c: { kind: "connect", target: { kind: "group", groupId: "g" }, branches: { fallback: "bye" } },
          bye: { kind: "hangup" },
        },
      },
    },
    { type: "DefineNumber", number: "+14155550000", flowId: "f" },
  ] as ConfigCommand[])
    config = apply(config, c);
  const presence: Record<string, { state: AgentState; version: number }> = {};
  const index = new GroupMemberIndex(ids);
  ids.forEach((id, i) => {
    // Half of them busy; the available ones idle since different moments.
    const state: AgentState =
      i % 2 === 0
        ? { ...INITIAL_AGENT, status: "available", idleSince: NOW - 1_000_000 + ((i * 7919) % n) }
        : { ...INITIAL_AGENT, status: "onCall", callId: `x${i}` };
    presence[id] = { state, version: 1 };
    index.update(id, state);
  });
  return { config, presence, index };
}

function cost(n: number, strategy: Strategy, indexed: boolean): number {
  const w = world(n, strategy);
  const ctx = {
    config: w.config,
    presence: w.presence,
    queues: {},
    groups: {},
    ...(indexed ? { memberIndex: () => w.index } : {}),
  };
  const runs = Math.max(5, Math.min(1_000, Math.floor(200_000 / n)));
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const d = decideCall(
      {
        type: "StartCall",
        callId: `c${i}`,
        from: "+14155559999",
        to: "+14155550000",
        now: NOW,
        seed: `s${i}`,
      },
      INITIAL_CALL,
      ctx,
    );
    sink += d.call.events.length;
  }
  if (sink === 0) throw new Error("no decision");
  return ((performance.now() - t0) / runs) * 1000;
}

const rows: Array<Record<string, string | number>> = [];
for (const strategy of ["longestIdle", "roundRobin", "leastCalls", "sequential"] as const) {
  for (const n of (process.argv[2] ?? "10,1000,10000,100000").split(",").map(Number)) {
    rows.push({
      strategy,
      members: n,
      indexedUs: Math.round(cost(n, strategy, true)),
      scanUs: n <= 10_000 ? Math.round(cost(n, strategy, false)) : "-",
    });
  }
}
console.table(rows);
