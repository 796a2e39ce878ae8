// Every routing strategy, one line each: the `Strategy` names, the config's checks, the YAML's spellings and
// the admin API's enum values all derive from this list.
import { leastCalls } from "./least-calls.js";
import { longestIdle } from "./longest-idle.js";
import { random } from "./random.js";
import { roundRobin } from "./round-robin.js";
import { sequential } from "./sequential.js";
import { simultaneous } from "./simultaneous.js";
import type { StrategyModule } from "./strategy.js";

// biome-ignore format: one strategy a line, so adding one is a one-line diff
export const STRATEGY_MODULES = [
  roundRobin,
  simultaneous,
  sequential,
  longestIdle,
  leastCalls,
  random,
] as const;

/** A group's strategy, as configured and recorded: the registry's names. */
export type Strategy = (typeof STRATEGY_MODULES)[number]["name"];

export const STRATEGIES: readonly Strategy[] = STRATEGY_MODULES.map((m) => m.name);

const BY_NAME: ReadonlyMap<string, StrategyModule<Strategy>> = new Map(
  STRATEGY_MODULES.map((m): [string, StrategyModule<Strategy>] => [m.name, m]),
);

export function strategyModule(name: Strategy): StrategyModule<Strategy> {
  const module = BY_NAME.get(name);
  if (!module) throw new Error(`unknown strategy ${String(name)}`);
  return module;
}

/** `longestIdle` → `longest-idle`. */
export const kebabCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** `longestIdle` → `longest_idle`. */
export const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Every spelling a person may write for each strategy: its name, its kebab-case and snake_case forms and its
 * aliases (in registry order, each strategy's spellings together), e.g. `longest-idle` → `longestIdle`.
 */
export const STRATEGY_SPELLINGS: ReadonlyMap<string, Strategy> = new Map(
  STRATEGY_MODULES.flatMap((m) =>
    [...new Set([m.name, kebabCase(m.name), snakeCase(m.name), ...(m.aliases ?? [])])].map(
      (spelling): [string, Strategy] => [spelling, m.name],
    ),
  ),
);
