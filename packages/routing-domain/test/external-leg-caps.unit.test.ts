// Toll-fraud caps: concurrent external legs and external minutes per hour, counted on the account's one
// stream so that every router sees the same count and no path (Connect, group, agent phone, transfer) can
// dial past them.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ConfigCommand,
  type DialPolicy,
  decideConfig,
  decideExternalLegs,
  EMPTY_CONFIG,
  EMPTY_EXTERNAL_LEGS,
  ExternalLegLimitError,
  type ExternalLegLimits,
  type ExternalLegsCommand,
  type ExternalLegsState,
  evolveExternalLegs,
  InvalidDialPolicyError,
  usedSecondsThisHour,
} from "../src/index.js";
import { BUSINESS, CALLER, sec, World } from "./support/world.js";

const HOUR = 3_600_000;

function world(policy: DialPolicy, target: object): World {
  return new World([
    { type: "ConfigureAccount", dialPolicy: policy },
    {
      type: "DefineFlow",
      flow: {
        flowId: "main",
        name: "main",
        start: "c",
        applets: {
          c: { kind: "connect", target, ringTimeoutSec: 30, branches: { fallback: "bye" } } as never,
          bye: { kind: "hangup" },
        },
      },
    },
    { type: "DefineNumber", number: BUSINESS, flowId: "main" },
  ] satisfies ConfigCommand[]);
}

const refusal = (w: World, callId: string) =>
  w.events(callId).find((e) => e.type === "DialRefused") as { data: { reason: string } } | undefined;

describe("external leg caps", () => {
  it("are validated with the account", () => {
    const configure = (dialPolicy: DialPolicy) => () =>
      decideConfig({ type: "ConfigureAccount", dialPolicy }, EMPTY_CONFIG);
    expect(configure({ deniedPrefixes: [], maxConcurrentExternalLegs: -1 })).toThrow(InvalidDialPolicyError);
    expect(configure({ deniedPrefixes: [], maxExternalMinutesPerHour: 1.5 })).toThrow(InvalidDialPolicyError);
    expect(
      configure({ deniedPrefixes: [], maxConcurrentExternalLegs: 2, maxExternalMinutesPerHour: 60 }),
    ).not.toThrow();
  });

  it("a second external leg over a cap of one is refused with the reason in the call's history; after the first ends, it is allowed", () => {
    const w = world(
      { deniedPrefixes: [], maxConcurrentExternalLegs: 1 },
      { kind: "number", number: "+14155550199" },
    );
    w.start("c1", CALLER, BUSINESS, sec(0));
    expect(refusal(w, "c1")).toBeUndefined();
    expect(Object.keys(w.externalLegs.state.active)).toEqual(["c1|+14155550199"]);

    w.start("c2", CALLER, BUSINESS, sec(1));
    expect(refusal(w, "c2")?.data.reason).toBe("the account already has 1 external leg up (the cap is 1)");
    expect(w.events("c2").some((e) => e.type === "LegOriginateRequested")).toBe(false);
    expect(w.events("c2").find((e) => e.type === "ConnectCompleted")).toMatchObject({
      data: { outcome: "failed" },
    });

    // The first call's leg answers and hangs up: its slot is free again.
    const leg = w.legOf("c1");
    w.run("c1", { type: "LegAnswered", legId: leg, now: sec(3) });
    w.run("c1", { type: "LegEnded", legId: leg, reason: "hungUp", now: sec(63) });
    expect(w.externalLegs.state.active).toEqual({});
    w.start("c3", CALLER, BUSINESS, sec(64));
    expect(refusal(w, "c3")).toBeUndefined();
  });

  it("the caller hanging up while the external leg rings frees the slot too", () => {
    const w = world(
      { deniedPrefixes: [], maxConcurrentExternalLegs: 1 },
      { kind: "number", number: "+14155550199" },
    );
    w.start("c1", CALLER, BUSINESS, sec(0));
    w.run("c1", { type: "LegEnded", legId: w.callState("c1").callerLegId, reason: "hungUp", now: sec(2) });
    const leg = w.legOf("c1");
    w.run("c1", { type: "LegEnded", legId: leg, reason: "cancelled", now: sec(3) });
    expect(w.externalLegs.state.active).toEqual({});
  });

  it("minutes per hour: once the hour's minutes are used, no new external leg until the next hour", () => {
    const w = world(
      { deniedPrefixes: [], maxExternalMinutesPerHour: 1 },
      { kind: "number", number: "+14155550199" },
    );
    const t0 = 10 * HOUR;
    w.start("c1", CALLER, BUSINESS, t0);
    const leg = w.legOf("c1");
    w.run("c1", { type: "LegAnswered", legId: leg, now: t0 + 1_000 });
    w.run("c1", { type: "LegEnded", legId: leg, reason: "hungUp", now: t0 + 61_000 });
    w.start("c2", CALLER, BUSINESS, t0 + 120_000);
    expect(refusal(w, "c2")?.data.reason).toBe(
      "the account used 1 external minutes this hour (the cap is 1)",
    );
    w.start("c3", CALLER, BUSINESS, t0 + HOUR);
    expect(refusal(w, "c3")).toBeUndefined();
  });

  it("SIP endpoints are the platform's own and are not counted", () => {
    const w = world(
      { deniedPrefixes: [], maxConcurrentExternalLegs: 0 },
      { kind: "sip", uri: "sip:desk@pbx.example" },
    );
    w.start("c1", CALLER, BUSINESS, sec(0));
    expect(refusal(w, "c1")).toBeUndefined();
    expect(w.externalLegs.version).toBe(0);
  });
});

describe("the external-legs decider", () => {
  const numbers = ["+14155550100", "+14155550101", "+14155550102"];
  // Commands without their time: the property gives each one the time of its step.
  const command = fc.oneof(
    fc.record({
      type: fc.constant("StartExternalLeg" as const),
      callId: fc.constantFrom("a", "b", "c", "d"),
      number: fc.constantFrom(...numbers),
      limits: fc.record({
        maxConcurrent: fc.option(fc.nat({ max: 4 }), { nil: undefined }),
        maxMinutesPerHour: fc.option(fc.nat({ max: 5 }), { nil: undefined }),
      }),
    }),
    fc.record({
      type: fc.constant("EndExternalLeg" as const),
      callId: fc.constantFrom("a", "b", "c", "d"),
      number: fc.constantFrom(...numbers),
    }),
    fc.record({ type: fc.constant("EndCallExternalLegs" as const), callId: fc.constantFrom("a", "b") }),
  );

  it("never lets a start through past its caps, and ends free what they started", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 40 * 60_000 }), command), { minLength: 1, maxLength: 60 }),
        (steps) => {
          let state = EMPTY_EXTERNAL_LEGS;
          let now = 5 * HOUR;
          for (const [gap, partial] of steps) {
            now += gap;
            const c = { ...partial, now } as ExternalLegsCommand;
            const before = state;
            try {
              const events = decideExternalLegs(c, state);
              state = events.reduce(evolveExternalLegs, state);
              if (c.type === "StartExternalLeg" && events.length === 1) {
                const up = Object.values(before.active).filter((l) => now - l.startedAt < 6 * HOUR).length;
                if (c.limits.maxConcurrent !== undefined) expect(up).toBeLessThan(c.limits.maxConcurrent);
                if (c.limits.maxMinutesPerHour !== undefined)
                  expect(usedSecondsThisHour(before, now) / 60).toBeLessThan(c.limits.maxMinutesPerHour);
              }
              if (c.type === "EndCallExternalLegs")
                expect(Object.values(state.active).some((l) => l.callId === c.callId)).toBe(false);
            } catch (e) {
              expect(e).toBeInstanceOf(ExternalLegLimitError);
              expect(c.type).toBe("StartExternalLeg");
              expect(state).toBe(before);
            }
          }
        },
      ),
    );
  });
});

/** Issue 16: the caps' model, from the legs' intervals alone (not from the stream's running totals). */
describe("external leg caps against a model of the legs' intervals", () => {
  interface Leg {
    readonly callId: string;
    readonly number: string;
    readonly start: number;
    end?: number;
  }
  const hourOf = (t: number) => Math.floor(t / HOUR) * HOUR;
  /** Legs up at `now`: not ended, and not older than 6 hours (a leg whose end was lost stops counting). */
  const upAt = (legs: readonly Leg[], now: number) =>
    legs.filter((l) => l.end === undefined && now - l.start < 6 * HOUR);
  /** Seconds of this clock hour used: each leg's part of it, ended legs up to their end. */
  const usedAt = (legs: readonly Leg[], now: number) => {
    const hour = hourOf(now);
    let ms = 0;
    for (const l of legs) {
      if (l.end !== undefined) {
        if (hourOf(l.end) === hour) ms += Math.max(0, l.end - Math.max(l.start, hour));
      } else if (now - l.start < 6 * HOUR) ms += Math.max(0, now - Math.max(l.start, hour));
    }
    return ms / 1000;
  };

  it("a leg starts exactly when neither cap is reached; a repeated start or an unknown end changes nothing", () => {
    const step = fc.oneof(
      fc.record({
        type: fc.constant("start" as const),
        callId: fc.constantFrom("a", "b", "c"),
        number: fc.constantFrom("+14155550001", "+14155550002"),
        maxConcurrent: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        maxMinutes: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
      }),
      fc.record({
        type: fc.constant("end" as const),
        callId: fc.constantFrom("a", "b", "c"),
        number: fc.constantFrom("+14155550001", "+14155550002"),
      }),
      fc.record({ type: fc.constant("endCall" as const), callId: fc.constantFrom("a", "b", "c") }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * HOUR }), step), { minLength: 1, maxLength: 40 }),
        (steps) => {
          let state = EMPTY_EXTERNAL_LEGS;
          const legs: Leg[] = [];
          let now = 10 * HOUR + 59 * 60_000;
          for (const [gap, s] of steps) {
            now += gap;
            const open = (callId: string, number?: string) =>
              legs.filter(
                (l) =>
                  l.end === undefined && l.callId === callId && (number === undefined || l.number === number),
              );
            let events: ReturnType<typeof decideExternalLegs>;
            if (s.type === "start") {
              const limits = {
                ...(s.maxConcurrent !== undefined ? { maxConcurrent: s.maxConcurrent } : {}),
                ...(s.maxMinutes !== undefined ? { maxMinutesPerHour: s.maxMinutes } : {}),
              };
              const command = {
                type: "StartExternalLeg" as const,
                callId: s.callId,
                number: s.number,
                limits,
                now,
              };
              const already = open(s.callId, s.number).length > 0;
              const full =
                (s.maxConcurrent !== undefined && upAt(legs, now).length >= s.maxConcurrent) ||
                (s.maxMinutes !== undefined && usedAt(legs, now) / 60 >= s.maxMinutes);
              if (!already && full) {
                expect(() => decideExternalLegs(command, state)).toThrow(ExternalLegLimitError);
                continue;
              }
              events = decideExternalLegs(command, state);
              expect(events).toHaveLength(already ? 0 : 1);
              if (!already) legs.push({ callId: s.callId, number: s.number, start: now });
            } else if (s.type === "end") {
              events = decideExternalLegs(
                { type: "EndExternalLeg", callId: s.callId, number: s.number, now },
                state,
              );
              const ending = open(s.callId, s.number);
              expect(events).toHaveLength(ending.length);
              for (const l of ending) l.end = now;
            } else {
              events = decideExternalLegs({ type: "EndCallExternalLegs", callId: s.callId, now }, state);
              const ending = open(s.callId);
              expect(events).toHaveLength(ending.length);
              for (const l of ending) l.end = now;
            }
            state = events.reduce(evolveExternalLegs, state);
            expect(usedSecondsThisHour(state, now)).toBeCloseTo(usedAt(legs, now), 6);
          }
        },
      ),
    );
  });

  it("the refusal (in the call's history) says how many legs are up or minutes were used, and the cap", () => {
    const t0 = 10 * HOUR;
    const refusal = (state: ExternalLegsState, limits: ExternalLegLimits, now: number) => {
      try {
        decideExternalLegs(
          { type: "StartExternalLeg", callId: "x", number: "+14155550009", limits, now },
          state,
        );
      } catch (e) {
        return (e as Error).message;
      }
      return undefined;
    };
    const withLegs = (...callIds: string[]) =>
      callIds.reduce(
        (state, callId) =>
          decideExternalLegs(
            { type: "StartExternalLeg", callId, number: "+14155550001", limits: {}, now: t0 },
            state,
          ).reduce(evolveExternalLegs, state),
        EMPTY_EXTERNAL_LEGS,
      );
    expect(refusal(withLegs("a"), { maxConcurrent: 1 }, t0)).toBe(
      "the account already has 1 external leg up (the cap is 1)",
    );
    expect(refusal(withLegs("a", "b"), { maxConcurrent: 2 }, t0)).toBe(
      "the account already has 2 external legs up (the cap is 2)",
    );
    expect(refusal(withLegs("a"), { maxMinutesPerHour: 30 }, t0 + 30.5 * 60_000)).toBe(
      "the account used 30 external minutes this hour (the cap is 30)",
    );
    expect(refusal(withLegs("a"), { maxMinutesPerHour: 31 }, t0 + 30.5 * 60_000)).toBeUndefined();
    // A leg whose end was never seen stops counting after 6 hours, to the millisecond.
    expect(refusal(withLegs("a"), { maxConcurrent: 1 }, t0 + 6 * HOUR - 1)).toBeDefined();
    expect(refusal(withLegs("a"), { maxConcurrent: 1 }, t0 + 6 * HOUR)).toBeUndefined();
  });
});
