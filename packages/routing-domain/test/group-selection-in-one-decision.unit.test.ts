// chooseGroupMembers sees the group's members as the decision sees them: the presence view, corrected by what
// the same decision already did to an agent (reserved, released after a missed offer), and a large group is
// chosen from its member index unless some members are excluded (a transfer's agents already rung).
import { describe, expect, it } from "vitest";
import { DecisionBuilder, type FlowPort } from "../src/call/builder.js";
import { chooseGroupMembers } from "../src/call/group-selection.js";
import {
  type AgentState,
  buildConfig,
  type DecisionContext,
  type GroupConfig,
  INITIAL_AGENT,
  INITIAL_CALL,
  type MemberIndex,
  type PresenceEntry,
} from "../src/index.js";
import { group } from "./support/fixtures.js";
import { AGENTS, sec } from "./support/world.js";

const NOW = sec(100);
const noFlow: FlowPort = {
  goTo: () => {
    throw new Error("no flow in these tests");
  },
  leave: () => {},
};

const available = (extra: Partial<AgentState> = {}): PresenceEntry => ({
  state: { ...INITIAL_AGENT, status: "available", idleSince: sec(0), ...extra },
  version: 1,
});

const config = buildConfig([
  ...AGENTS,
  group("tier1", "sequential", ["bob", "cid", "dee"]),
  group("rr", "roundRobin", ["bob", "cid", "dee"]),
]);

function builder(
  presence: Record<string, PresenceEntry>,
  memberIndex?: DecisionContext["memberIndex"],
): DecisionBuilder {
  const ctx: DecisionContext = {
    config,
    presence,
    queues: {},
    groups: {},
    ...(memberIndex ? { memberIndex } : {}),
  };
  return new DecisionBuilder({ ...INITIAL_CALL, callId: "c1" }, ctx, NOW, "seed", noFlow);
}

const groupOf = (groupId: string): GroupConfig => config.groups[groupId]!;

/** An index listing the given members in order (every one available, as in the presence below). */
function listIndex(ids: readonly string[]): MemberIndex {
  return {
    size: ids.length,
    positionOf: (id) => ids.indexOf(id),
    byIdle: () => [...ids],
    byCallsIn: () => [...ids],
    from: (i) => ids.slice(i),
  };
}

const everyoneAvailable = () => ({ bob: available(), cid: available(), dee: available() });

describe("group selection within one decision", () => {
  it("given bob available in the presence view, when the same decision has already reserved bob, then the group's next choice skips bob as reserved", () => {
    const b = builder(everyoneAvailable());
    b.agentCommand("bob", { type: "Reserve", callId: "c1", legId: "l1", now: NOW });

    const result = chooseGroupMembers(b, groupOf("tier1"), { maxRingAttempts: 1 });

    expect(result.chosen).toEqual(["cid"]);
    expect(result.candidates.find((c) => c.agentId === "bob")).toMatchObject({
      status: "reserved",
      chosen: false,
      reason: "skipped: already reserved for another call",
    });
  });

  it("given bob available in the presence view, when the same decision saw bob miss an offer (cooldown), then bob is skipped for the cooldown", () => {
    const b = builder(everyoneAvailable());
    b.agentCommand("bob", { type: "Reserve", callId: "c1", legId: "l1", now: NOW });
    b.agentCommand("bob", {
      type: "Release",
      callId: "c1",
      now: NOW,
      reason: "noAnswer",
      missed: { maxMissedOffers: 5, cooldownSec: 30 },
    });
    expect(b.agentState("bob").status).toBe("available");

    const result = chooseGroupMembers(b, groupOf("tier1"), { maxRingAttempts: 1 });

    expect(result.chosen).toEqual(["cid"]);
    expect(result.candidates.find((c) => c.agentId === "bob")).toMatchObject({
      status: "available",
      chosen: false,
      reason: `skipped: cooldown after missed offer until ${NOW + 30_000}`,
    });
  });

  it("given bob's cooldown after a missed offer has ended, when the group chooses, then bob is chosen again", () => {
    const b = builder({ ...everyoneAvailable(), bob: available({ cooldownUntil: NOW - 1 }) });

    const result = chooseGroupMembers(b, groupOf("tier1"), { maxRingAttempts: 1 });

    expect(result.chosen).toEqual(["bob"]);
  });

  it("given bob still cooling down in the presence view, when the group chooses, then bob is skipped until the cooldown ends", () => {
    const b = builder({ ...everyoneAvailable(), bob: available({ cooldownUntil: NOW + 5_000 }) });

    const result = chooseGroupMembers(b, groupOf("tier1"), { maxRingAttempts: 1 });

    expect(result.chosen).toEqual(["cid"]);
    expect(result.candidates.find((c) => c.agentId === "bob")?.reason).toBe(
      `skipped: cooldown after missed offer until ${NOW + 5_000}`,
    );
  });

  it("given a large group with a member index, when a Connect chooses (nobody excluded), then it chooses from the index and reports only the members it looked at", () => {
    const asked: string[] = [];
    const b = builder(everyoneAvailable(), (groupId) => {
      asked.push(groupId);
      return listIndex(["bob", "cid", "dee"]);
    });

    const result = chooseGroupMembers(b, groupOf("rr"), { maxRingAttempts: 1 });

    expect(asked).toEqual(["rr"]);
    expect(result.chosen).toEqual(["bob"]);
    // The full scan would list all three members; the index stops at the one it chose.
    expect(result.candidates.map((c) => c.agentId)).toEqual(["bob"]);
  });

  it("given a large group with a member index, when a transfer excludes the members already rung, then it chooses from the member list and never an excluded member", () => {
    const asked: string[] = [];
    const b = builder(everyoneAvailable(), (groupId) => {
      asked.push(groupId);
      return listIndex(["bob", "cid", "dee"]);
    });

    const result = chooseGroupMembers(b, groupOf("rr"), { maxRingAttempts: 1, exclude: ["bob"] });

    expect(asked).toEqual([]);
    expect(result.chosen).toEqual(["cid"]);
    expect(result.candidates.map((c) => c.agentId)).toEqual(["cid", "dee"]);
  });
});
