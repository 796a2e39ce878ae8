import { seededRandom } from "@switchyard/clock";
import { parseContactCentre } from "@switchyard/contact-centre";
import { describe, expect, it } from "vitest";
import {
  defaultTraffic,
  drawAction,
  parseTraffic,
  planCalls,
  planPhones,
  TrafficConfigError,
} from "../src/index.js";

const CC = parseContactCentre(
  `
agents:
  - { id: alice, phone: "+15550000001" }
  - { id: bob, sip: "sip:bob@pbx.example.com" }
groups:
  - { id: sales, strategy: round-robin, members: [alice, bob] }
numbers:
  - { number: "+442071234567", flow: main }
  - { number: "+442071234568", flow: direct }
flows:
  - id: main
    start: hello
    applets:
      hello: { type: greeting, audio: Welcome, next: menu }
      menu: { type: ivrMenu, prompt: "1 or 2", branches: { "1": sales, "2": sales }, timeoutBranch: bye, invalidBranch: bye }
      sales: { type: connect, target: { group: sales }, branches: { fallback: bye } }
      bye: { type: hangup }
  - id: direct
    start: ring
    applets:
      ring: { type: connect, target: { agent: alice }, branches: { fallback: bye } }
      bye: { type: hangup }
`,
  "cc.yaml",
).snapshot;

describe("traffic model", () => {
  it("parses a traffic section over the defaults", () => {
    const model = parseTraffic(
      {
        traffic: {
          seed: 7,
          minutes: 30,
          serviceLevelSec: 15,
          arrivals: [
            { number: "+442071234567", perHour: 120 },
            { number: "+442071234568", schedule: [30, 10] },
          ],
          callers: {
            talkTime: { logNormal: { meanSec: 180, sdSec: 60 } },
            patience: "never",
            voicemail: 12,
            ivr: { menu: { "1": 0.7, "2": 0.2 } },
          },
          agents: { default: { noAnswer: 0.1 }, bob: { answerDelay: { exponential: 3 }, busy: 0.5 } },
        },
      },
      "traffic.yaml",
      CC,
    );
    expect(model.seed).toBe("7");
    expect(model.durationSec).toBe(1800);
    expect(model.serviceLevelSec).toBe(15);
    expect(model.arrivals).toEqual([
      { kind: "poisson", number: "+442071234567", perHour: 120 },
      { kind: "schedule", number: "+442071234568", atSec: [10, 30] },
    ]);
    expect(model.callers.patience).toBeUndefined();
    expect(model.callers.talkTime).toEqual({ kind: "logNormal", meanSec: 180, sdSec: 60 });
    expect(model.callers.voicemail).toEqual({ kind: "fixed", sec: 12 });
    expect(model.agents.default.noAnswer).toBe(0.1);
    expect(model.agents.byAgent.bob).toMatchObject({
      answerDelay: { kind: "exponential", meanSec: 3 },
      busy: 0.5,
      noAnswer: 0.1,
    });
  });

  it("lists every problem with its path", () => {
    let error: unknown;
    try {
      parseTraffic(
        {
          minutes: -1,
          arrivals: [{ number: "+449999", perHour: 5 }, { number: "+442071234567" }],
          callers: { talkTime: { gaussian: 3 }, ivr: { nomenu: {}, menu: { "9": 0.5, "1": 0.6 } } },
          agents: { carol: {}, alice: { noAnswer: 2 }, bob: { noAnswer: 0.6, busy: 0.6 } },
        },
        "t.yaml",
        CC,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrafficConfigError);
    const lines = (error as Error).message.split("\n");
    expect(lines).toEqual([
      "t.yaml:minutes: must be greater than 0, got -1",
      "t.yaml:arrivals[0].number: +449999 is not a business number of the contact centre",
      "t.yaml:arrivals[1]: give exactly one of perHour (Poisson), schedule (seconds list) or everySec",
      expect.stringMatching(/^t\.yaml:callers\.talkTime: unknown distribution "gaussian"/),
      't.yaml:callers.ivr.nomenu: no IVR menu "nomenu" in the contact centre\'s flows',
      't.yaml:callers.ivr.menu.9: menu "menu" has no branch for digit 9',
      "t.yaml:callers.ivr.menu: probabilities add up to 1.1, more than 1",
      't.yaml:agents.carol: unknown agent "carol" (not in the contact centre\'s agents)',
      "t.yaml:agents.alice.noAnswer: a probability must be at most 1, got 2",
      "t.yaml:agents.bob: noAnswer + busy + reject must be at most 1",
    ]);
  });

  it("plans callers deterministically from the seed, with the IVR path through the flow", () => {
    const model = {
      ...defaultTraffic(["+442071234567"], 600),
      durationSec: 3600,
      callers: { ...defaultTraffic([]).callers, ivr: { menu: { "1": 0.6, "2": 0.3 } } },
    };
    const calls = planCalls(model, CC);
    expect(planCalls(model, CC)).toEqual(calls);
    expect(planCalls({ ...model, seed: "other" }, CC)).not.toEqual(calls);
    expect(calls.length).toBeGreaterThan(520);
    expect(calls.length).toBeLessThan(680);
    expect(calls.every((c, i) => c.index === i && (i === 0 || c.atSec >= calls[i - 1]!.atSec))).toBe(true);
    expect(new Set(calls.map((c) => c.from)).size).toBe(calls.length);
    // A greeting consumes one prompt without a key, then the menu's digit (or nothing: its timeout path).
    const paths = calls.map((c) => c.dtmf.map((d) => d.digits).join(","));
    expect(new Set(paths)).toEqual(new Set([",1", ",2", ""]));
    const share = (p: string) => paths.filter((x) => x === p).length / paths.length;
    expect(share(",1")).toBeGreaterThan(0.52);
    expect(share(",1")).toBeLessThan(0.68);
    expect(share("")).toBeGreaterThan(0.05);
    expect(share("")).toBeLessThan(0.15);
    expect(calls.every((c) => c.dtmf.every((d) => d.whenPrompted))).toBe(true);
    expect(calls.every((c) => c.patienceSec !== undefined && c.talkSec >= 0)).toBe(true);
    const meanTalk = calls.reduce((a, c) => a + c.talkSec, 0) / calls.length;
    expect(meanTalk).toBeGreaterThan(120);
    expect(meanTalk).toBeLessThan(180);
  });

  it("a fixed schedule gives exactly its times inside the period", () => {
    const model = {
      ...defaultTraffic([]),
      durationSec: 60,
      arrivals: [
        { kind: "schedule" as const, number: "+442071234568", atSec: [5, 50, 70] },
        { kind: "schedule" as const, number: "+442071234567", atSec: [5] },
      ],
    };
    const calls = planCalls(model, CC);
    expect(calls.map((c) => [c.atSec, c.to, c.dtmf.length])).toEqual([
      [5, "+442071234567", 2],
      [5, "+442071234568", 0],
      [50, "+442071234568", 0],
    ]);
  });

  it("everySec arrivals repeat from startSec until the end of the period", () => {
    const model = parseTraffic(
      { minutes: 1, arrivals: [{ number: "+442071234568", everySec: 25, startSec: 5 }] },
      "t.yaml",
      CC,
    );
    expect(model.arrivals).toEqual([{ kind: "every", number: "+442071234568", everySec: 25, startSec: 5 }]);
    expect(planCalls(model, CC).map((c) => c.atSec)).toEqual([5, 30, 55]);
    expect(planCalls({ ...model, durationSec: 56 }, CC).map((c) => c.atSec)).toEqual([5, 30, 55]);
    expect(planCalls({ ...model, durationSec: 55 }, CC).map((c) => c.atSec)).toEqual([5, 30]);
  });

  it("phone plans draw no-answer, busy, reject and answer at the configured rates", () => {
    const behaviour = {
      answerDelay: { kind: "fixed" as const, sec: 3 },
      noAnswer: 0.2,
      busy: 0.1,
      reject: 0.05,
    };
    const rng = seededRandom("phones");
    const kinds = Array.from({ length: 20_000 }, () => drawAction(behaviour, rng).kind);
    const share = (k: string) => kinds.filter((x) => x === k).length / kinds.length;
    expect(share("noAnswer")).toBeCloseTo(0.2, 1);
    expect(share("busy")).toBeCloseTo(0.1, 1);
    expect(share("reject")).toBeCloseTo(0.05, 1);
    expect(share("answer")).toBeCloseTo(0.65, 1);
    const phones = planPhones(defaultTraffic([]), CC);
    expect(phones.map((p) => [p.agentId, p.key])).toEqual([
      ["alice", "+15550000001"],
      ["bob", "sip:bob@pbx.example.com"],
    ]);
    const again = planPhones(defaultTraffic([]), CC);
    expect(Array.from({ length: 50 }, () => again[0]!.next())).toEqual(
      Array.from({ length: 50 }, () => phones[0]!.next()),
    );
  });
});
