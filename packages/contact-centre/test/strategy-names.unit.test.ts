import { kebabCase, STRATEGIES, snakeCase } from "@switchyard/routing-domain";
import { describe, expect, it } from "vitest";
import { ContactCentreConfigError, parseContactCentre } from "../src/index.js";

const withStrategy = (strategy: string) => `
agents:
  - { id: alice, phone: "+447700900001" }
groups:
  - { id: g, strategy: ${strategy}, members: [alice] }
`;

const strategyRead = (strategy: string) =>
  parseContactCentre(withStrategy(strategy), "cc.yaml").snapshot.groups.g?.strategy;

const issueAt = (strategy: string, path: string) => {
  try {
    parseContactCentre(withStrategy(strategy), "cc.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(ContactCentreConfigError);
    return (error as ContactCentreConfigError).issues.find((i) => i.path === path)?.reason;
  }
  throw new Error(`${strategy} was accepted`);
};

describe("a group's strategy in the file", () => {
  it("given each strategy in the domain's registry, when written in camelCase, kebab-case or snake_case, then it reads as that strategy", () => {
    for (const strategy of STRATEGIES) {
      for (const spelling of [strategy, kebabCase(strategy), snakeCase(strategy)]) {
        expect(strategyRead(spelling), spelling).toBe(strategy);
      }
    }
  });

  it("given the alias simultaneous-ring, when read, then it is Simultaneous Ring", () => {
    expect(strategyRead("simultaneous-ring")).toBe("simultaneous");
  });

  it("given a name no strategy has, when read, then the strategy field is refused with the names it accepts", () => {
    expect(issueAt("coin-toss", "groups[0].strategy")).toMatch(
      /unknown value "coin-toss" \(expected one of: .*round-robin.*longest_idle/,
    );
  });
});
