import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ContactCentreConfigError, parseContactCentre } from "../src/index.js";

// A valid contact centre as data; mistakes are injected into it and every one must be reported at its path.
interface Agent {
  id: string;
  phone?: string;
  sip?: string;
}
interface Doc {
  agents: Agent[];
  groups: Array<{ id: string; strategy: string; members: string[] }>;
  numbers: Array<{ number: string; flow: string }>;
  flows: Array<{ id: string; start: string; applets: Record<string, Record<string, unknown>> }>;
}

function validDoc(agentCount: number, groupCount: number): Doc {
  const agents = Array.from({ length: agentCount }, (_, i) =>
    i % 2 === 0
      ? { id: `a${i}`, phone: `+1555000${String(1000 + i)}` }
      : { id: `a${i}`, sip: `sip:a${i}@pbx.example.com` },
  );
  const groups = Array.from({ length: groupCount }, (_, g) => ({
    id: `g${g}`,
    strategy: "sequential",
    members: agents.filter((_, i) => i % groupCount === g).map((a) => a.id),
  }));
  const applets: Record<string, Record<string, unknown>> = {};
  groups.forEach((g, i) => {
    applets[`c${i}`] = {
      type: "connect",
      target: { group: g.id },
      branches: { fallback: i + 1 < groups.length ? `c${i + 1}` : "bye" },
    };
  });
  applets.bye = { type: "hangup" };
  return {
    agents,
    groups,
    numbers: [{ number: "+442071234567", flow: "f" }],
    flows: [{ id: "f", start: "c0", applets }],
  };
}

type Mistake =
  | { kind: "unknownMember"; group: number }
  | { kind: "badPhone"; agent: number }
  | { kind: "badSip"; agent: number }
  | { kind: "danglingBranch"; applet: number };

describe("every mistake is reported, each at its own path", () => {
  it("holds for random combinations of mistakes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("unknownMember" as const), group: fc.nat() }),
            fc.record({ kind: fc.constant("badPhone" as const), agent: fc.nat() }),
            fc.record({ kind: fc.constant("badSip" as const), agent: fc.nat() }),
            fc.record({ kind: fc.constant("danglingBranch" as const), applet: fc.nat() }),
          ),
          { minLength: 1, maxLength: 8 },
        ),
        (agentCount, groupCount, mistakes: Mistake[]) => {
          const doc = validDoc(agentCount, groupCount);
          const expected = new Set<string>();
          for (const m of mistakes) {
            switch (m.kind) {
              case "unknownMember": {
                const g = m.group % groupCount;
                const members = doc.groups[g]!.members;
                members.push(`ghost${members.length}`);
                expected.add(`groups[${g}].members[${members.length - 1}]`);
                break;
              }
              case "badPhone": {
                const i = m.agent % agentCount;
                doc.agents[i] = { id: `a${i}`, phone: "0800 123" };
                expected.delete(`agents[${i}].sip`);
                expected.add(`agents[${i}].phone`);
                break;
              }
              case "badSip": {
                const i = m.agent % agentCount;
                doc.agents[i] = { id: `a${i}`, sip: "not a uri" };
                expected.delete(`agents[${i}].phone`);
                expected.add(`agents[${i}].sip`);
                break;
              }
              case "danglingBranch": {
                const i = m.applet % groupCount;
                doc.flows[0]!.applets[`c${i}`]!.branches = { fallback: `missing${i}` };
                expected.add(`flows[0].applets.c${i}.branches.fallback`);
                break;
              }
            }
          }
          let error: unknown;
          try {
            parseContactCentre(JSON.stringify(doc), "p.yaml"); // JSON is YAML
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(ContactCentreConfigError);
          const issues = (error as ContactCentreConfigError).issues;
          const paths = issues.map((i) => i.path);
          // Every mistake, once; nothing else (a dangling branch also leaves later applets unreachable).
          expect(new Set(paths.filter((p) => !/^flows\[0\]\.applets\.(c\d+|bye)$/.test(p)))).toEqual(
            expected,
          );
          expect(paths.length).toBe(new Set(paths).size);
          for (const issue of issues)
            if (/^flows\[0\]\.applets\.(c\d+|bye)$/.test(issue.path))
              expect(issue.reason).toMatch(/cannot be reached/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
