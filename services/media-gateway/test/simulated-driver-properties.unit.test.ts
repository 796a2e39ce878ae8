import { manualClock, seededRandom } from "@switchyard/clock";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DriverEvent } from "../src/driver.js";
import { SimulatedDriver } from "../src/simulated/simulated-driver.js";
import type { InboundCallScript, PhoneBehaviour } from "../src/simulation-controls.js";

const sec = fc.integer({ min: 0, max: 40 });
/** Undefined three times out of four, so that most parties stay long enough to be bridged. */
const rarely = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const dtmf = fc.option(
  fc.array(fc.record({ digits: fc.constantFrom("1", "23", "#"), afterSec: sec }), { maxLength: 2 }),
  {
    nil: undefined,
  },
);
const behaviour: fc.Arbitrary<PhoneBehaviour> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("answer" as const),
      afterSec: fc.integer({ min: 0, max: 10 }),
      talkSec: rarely(sec),
      hangUpAfterAnswerSec: rarely(sec),
      dtmf,
    }),
  },
  fc.record({ kind: fc.constant("noAnswer" as const) }),
  fc.record({ kind: fc.constant("busy" as const) }),
  fc.record({ kind: fc.constant("reject" as const), afterSec: sec }),
  fc.record({ kind: fc.constant("fail" as const), afterSec: fc.integer({ min: 0, max: 5 }) }),
);
const caller: fc.Arbitrary<InboundCallScript> = fc.record({
  from: fc.constant("+4420"),
  to: fc.constant("+1800"),
  dtmf,
  patienceSec: rarely(sec),
  talkSec: rarely(sec),
  hangUpAfterSec: rarely(fc.integer({ min: 0, max: 120 })),
  voicemailSec: rarely(sec),
});
const CHANNELS = ["leg-0", "leg-1", "leg-2", "inbound-1", "inbound-2"] as const;
const channel = fc.constantFrom(...CHANNELS);
const action = fc.record({
  atSec: fc.integer({ min: 0, max: 20 }),
  op: fc.oneof(
    fc.record({
      kind: fc.constant("originate" as const),
      leg: fc.constantFrom("leg-0", "leg-1", "leg-2"),
      phone: fc.integer({ min: 0, max: 2 }),
      timeoutSec: fc.integer({ min: 5, max: 30 }),
    }),
    fc.record({ kind: fc.constantFrom("cancel" as const, "hangup" as const), ch: channel }),
    fc.record({ kind: fc.constant("play" as const), ch: channel }),
    fc.record({
      kind: fc.constantFrom("hold" as const, "stopHold" as const, "voicemail" as const),
      ch: channel,
    }),
    fc.record({ kind: fc.constantFrom("bridge" as const, "unbridge" as const), a: channel, b: channel }),
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant("bridge" as const),
        a: fc.constantFrom("inbound-1", "inbound-2"),
        b: fc.constantFrom("leg-0", "leg-1", "leg-2"),
      }),
    },
    fc.record({ kind: fc.constant("record" as const), a: channel, b: channel }),
  ),
});

const OUTBOUND = /^(ringing )?(answered ((dtmf|playbackFinished|recordingFinished) )*)?(ended )?$/;
const INBOUND = /^inboundCall ((dtmf|playbackFinished|recordingFinished) )*(ended )?$/;

describe("simulated driver: properties over random scripts and commands", () => {
  it("facts per channel follow the SIP life cycle; bridges stay symmetric; unanswered legs always end", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(behaviour, { minLength: 3, maxLength: 3 }),
        fc.array(caller, { minLength: 1, maxLength: 2 }),
        fc.array(fc.integer({ min: 5, max: 30 }), { minLength: 3, maxLength: 3 }),
        fc.array(action, { maxLength: 25 }),
        async (phones, callers, timeouts, actions) => {
          const clock = manualClock(0);
          const driver = new SimulatedDriver({ clock, rng: seededRandom(1) });
          const events: DriverEvent[] = [];
          driver.onEvent((e) => events.push(e));
          for (const [i, p] of phones.entries()) driver.setPhone(`+${i}`, p);
          for (const c of callers) driver.placeInboundCall(c);
          // Every leg rings at once, so later actions mostly meet live channels.
          for (const [i, timeoutSec] of timeouts.entries()) {
            await driver.originate({
              channelId: `leg-${i}`,
              to: { kind: "phone", number: `+${i}` },
              callerId: "+1800",
              timeoutSec,
            });
          }
          let n = 0;
          for (const { atSec, op } of [...actions].sort((x, y) => x.atSec - y.atSec)) {
            await clock.advance(Math.max(0, atSec * 1000 - clock.now()));
            switch (op.kind) {
              case "originate":
                await driver.originate({
                  channelId: op.leg,
                  to: { kind: "phone", number: `+${op.phone}` },
                  callerId: "+1800",
                  timeoutSec: op.timeoutSec,
                });
                break;
              case "cancel":
                await driver.cancel(op.ch, "test");
                break;
              case "hangup":
                await driver.hangup(op.ch, "test");
                break;
              case "play":
                await driver.play(op.ch, `p${++n}`, { kind: "defaultTone" });
                break;
              case "hold":
                await driver.startHoldMusic(op.ch, { kind: "defaultTone" });
                break;
              case "stopHold":
                await driver.stopHoldMusic(op.ch);
                break;
              case "voicemail":
                await driver.recordVoicemail(`vm${++n}`, op.ch, 30);
                break;
              case "bridge":
                if (op.a !== op.b) await driver.bridge(op.a, op.b);
                break;
              case "unbridge":
                await driver.unbridge(op.a, op.b);
                break;
              case "record":
                await driver.startRecording(`r${++n}`, [op.a, op.b]);
                break;
            }
          }
          await clock.advance(300_000);

          for (const id of new Set(events.map((e) => e.channelId))) {
            const tokens = events
              .filter((e) => e.channelId === id)
              .map((e) => `${e.type} `)
              .join("");
            expect(tokens).toMatch(id.startsWith("inbound") ? INBOUND : OUTBOUND);
          }
          expect(events.every((e, i) => i === 0 || e.at >= events[i - 1]!.at)).toBe(true);
          const log = driver.mediaLog();
          expect(log.every((e, i) => i === 0 || (e.seq > log[i - 1]!.seq && e.at >= log[i - 1]!.at))).toBe(
            true,
          );
          const started = new Set(log.filter((e) => e.kind === "playbackStarted").map((e) => e.playbackId));
          const finished = events.flatMap((e) => (e.type === "playbackFinished" ? [e.playbackId] : []));
          expect(new Set(finished).size).toBe(finished.length);
          expect(finished.every((p) => started.has(p))).toBe(true);
          for (const id of CHANNELS) {
            const view = driver.channel(id);
            if (!view) continue;
            if (view.bridgedTo !== undefined) expect(driver.channel(view.bridgedTo)?.bridgedTo).toBe(id);
            if (view.status === "ended") {
              expect(view.bridgedTo).toBeUndefined();
              expect(view.holdMusic).toBeUndefined();
            }
            // Past every originate timeout + grace: nothing is left ringing.
            expect(view.status === "trying" || view.status === "ringing").toBe(false);
          }
          await driver.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});
