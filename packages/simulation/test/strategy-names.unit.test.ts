import { kebabCase, STRATEGIES, snakeCase } from "@switchyard/routing-domain";
import { describe, expect, it } from "vitest";
import { strategyOf, VariantError } from "../src/index.js";

describe("a strategy named in a what-if variant", () => {
  it("given each strategy in the domain's registry, when named in camelCase, kebab-case, snake_case or with spaces, then it is that strategy", () => {
    for (const strategy of STRATEGIES) {
      for (const spelling of [
        strategy,
        kebabCase(strategy),
        snakeCase(strategy),
        kebabCase(strategy).replace(/-/g, " "),
      ])
        expect(strategyOf(spelling), spelling).toBe(strategy);
    }
  });

  it("given a name no strategy has, when parsed, then it is refused with every strategy's kebab-case name", () => {
    expect(() => strategyOf("coin-toss")).toThrow(VariantError);
    expect(() => strategyOf("coin-toss")).toThrow(
      `unknown strategy "coin-toss" (one of ${STRATEGIES.map(kebabCase).join(", ")})`,
    );
  });
});
