// The contact centre of a chaos run: one group per routing strategy (all five), each with its own agents and
// a queue, each on its own business number whose flow connects to the group and hangs up otherwise.
import { ChaosOptionsError } from "./errors.js";

export const STRATEGIES = [
  "round-robin",
  "longest-idle",
  "least-calls",
  "simultaneous",
  "sequential",
] as const;

export interface ChaosCentre {
  readonly yaml: string;
  readonly agentIds: readonly string[];
  readonly numbers: readonly string[];
}

export function chaosCentre(agentsPerGroup: number): ChaosCentre {
  if (!Number.isInteger(agentsPerGroup) || agentsPerGroup < 1 || agentsPerGroup > 999)
    throw new ChaosOptionsError(
      `agents per group must be a whole number from 1 to 999, not ${agentsPerGroup}`,
    );
  const agentIds: string[] = [];
  const agents: string[] = [];
  const groups: string[] = [];
  const numbers: string[] = [];
  const routes: string[] = [];
  const flows: string[] = [];
  STRATEGIES.forEach((strategy, g) => {
    const members: string[] = [];
    for (let a = 0; a < agentsPerGroup; a++) {
      const id = `g${g}a${a}`;
      members.push(id);
      agentIds.push(id);
      agents.push(`  - { id: ${id}, name: ${id}, phone: "+1444${String(g * 1000 + a).padStart(7, "0")}" }`);
    }
    const number = `+1333000000${g}`;
    numbers.push(number);
    groups.push(
      `  - id: ${strategy}\n    name: ${strategy}\n    strategy: ${strategy}\n    members: [${members.join(", ")}]\n` +
        `    ringTimeoutSec: 15\n    queue: { enabled: true, maxWaitSec: 60, maxSize: 1000 }`,
    );
    routes.push(`  - { number: "${number}", flow: f${g} }`);
    flows.push(
      `  - id: f${g}\n    name: f${g}\n    start: c\n    applets:\n` +
        `      c: { type: connect, target: { group: ${strategy} }, branches: { fallback: bye } }\n` +
        `      bye: { type: hangup }`,
    );
  });
  const yaml = [
    `account: { businessNumbers: [${numbers.map((n) => `"${n}"`).join(", ")}] }`,
    "agents:",
    ...agents,
    "groups:",
    ...groups,
    "numbers:",
    ...routes,
    "flows:",
    ...flows,
    "",
  ].join("\n");
  return { yaml, agentIds, numbers };
}
