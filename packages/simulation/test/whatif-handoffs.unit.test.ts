// Transfers and callbacks of a recorded day: extracted per call, read back from a traffic file, and planned
// for the re-run's caller scripts and phones.
import { parseContactCentre } from "@switchyard/contact-centre";
import type { ConfigSnapshot } from "@switchyard/routing-domain";
import { describe, expect, it } from "vitest";
import { extractDay, type LoggedEvent, parseTraffic, planCalls, planPhones } from "../src/index.js";
import { at, NUMBER, recordedLog, T0 } from "./support/recorded-log.js";

const CC = parseContactCentre(
  `
agents:
  - { id: alice, name: Alice, phone: "+15550000001" }
  - { id: sam, name: Sam, phone: "+15550000002" }
groups:
  - id: support
    name: Support
    strategy: round-robin
    members: [alice]
    queue: { enabled: true, callback: { offerAfterSec: 20, key: 9 } }
  - { id: sales, name: Sales, strategy: round-robin, members: [sam] }
numbers:
  - { number: "+442071234567", flow: main }
flows:
  - id: main
    start: hello
    applets:
      hello: { type: greeting, audio: "Hello", next: support }
      support: { type: connect, target: { group: support }, branches: { fallback: bye } }
      bye: { type: hangup }
`,
  "cc.yaml",
);
function log(): LoggedEvent[] {
  const { config, call, started } = recordedLog(CC);
  /** A call back dialled at `sec` (its ring timer, 20 s, dates it), after the agent's leg answered. */
  const dialled = (id: string, legId: string, sec: number) => [
    call(id, "LegAnswered", { legId: `agent-${legId}`, at: at(sec - 1) }),
    call(id, "LegOriginateRequested", {
      legId,
      role: "customer",
      to: { kind: "phone", number: "+15551000009" },
      timeoutSec: 20,
    }),
    call(id, "TimerScheduled", { timerId: `x-${legId}`, kind: "callbackRingTimeout", dueAt: at(sec + 20) }),
  ];
  return [
    ...config,
    // c1: answered at 5 s; at 35 s the agent starts a warm transfer to sales (its ring timer, 20 s, dates
    // it), consults sam from 37 s, completes at 47 s; the caller talks with sam until 87 s.
    started("c1", 0, "+15551000001"),
    call("c1", "AppletEntered", { appletId: "support", kind: "connect", at: at(2) }),
    call("c1", "LegsBridged", { legIds: ["l0", "l1"], at: at(5) }),
    call("c1", "TransferRequested", {
      transferId: "t1",
      mode: "warm",
      target: { kind: "group", groupId: "sales" },
      agentLegId: "l1",
    }),
    call("c1", "RoutingDecided", { purpose: "transfer", ringTimeoutSec: 20, legs: [] }),
    call("c1", "TimerScheduled", { timerId: "x1", kind: "transferRingTimeout", dueAt: at(55) }),
    call("c1", "LegAnswered", { legId: "l2", at: at(37) }),
    call("c1", "LegsBridged", { legIds: ["l1", "l2"], at: at(37) }),
    call("c1", "LegsBridged", { legIds: ["l0", "l2"], at: at(47) }),
    call("c1", "TransferCompleted", { transferId: "t1", agentLegId: "l2" }),
    call("c1", "CallEnded", { reason: "callerHungUp", at: at(87) }),
    // c2: asks for a callback at 128 s; the first call back (dialled at 300 s) rings out, the second
    // (dialled at 400 s) is answered after 3.5 s and lasts a minute.
    started("c2", 100, "+15551000009"),
    call("c2", "AppletEntered", { appletId: "support", kind: "connect", at: at(102) }),
    call("c2", "CallbackRequested", { number: "+15551000009", at: at(128) }),
    ...dialled("c2", "lc1", 300),
    call("c2", "LegRinging", { legId: "lc1", at: at(300.1) }),
    call("c2", "LegCancelRequested", { legId: "lc1", reason: "callbackFailed" }),
    call("c2", "LegEnded", { legId: "lc1", reason: "cancelled", at: at(320) }),
    ...dialled("c2", "lc2", 400),
    call("c2", "LegAnswered", { legId: "lc2", at: at(403.5) }),
    call("c2", "LegsBridged", { legIds: ["agent-lc2", "lc2"], at: at(403.5) }),
    call("c2", "CallEnded", { reason: "completed", at: at(463.5) }),
  ];
}

describe("a recorded day's transfers and callbacks", () => {
  const day = extractDay(log(), { from: T0, to: at(900) });

  it("are extracted per call: when and where the transfer went, the talk after; the call backs' answers", () => {
    const [c1, c2] = day.traffic.calls!;
    expect(c1).toMatchObject({
      waitedAtLeastSec: 5,
      talkSec: 82,
      transfer: { afterSec: 30, mode: "warm", to: "group:sales", consultSec: 10, talkSec: 40 },
    });
    expect(c2).toEqual({
      atSec: 100,
      number: NUMBER,
      from: "+15551000009",
      // Waited until asking; the talk is the call back's.
      waitedAtLeastSec: 28,
      talkSec: 60,
      callback: { afterSec: 28, answers: [{ kind: "noAnswer" }, { kind: "answer", afterSec: 3.5 }] },
    });
    // The customer's phone is the call's, not a phone of the contact centre.
    expect(Object.keys(day.traffic.agentOffers ?? {})).toEqual([]);
  });

  it("are planned for the re-run: the answering agent transfers; the caller takes the offer, their phone answers", () => {
    const [p1, p2] = planCalls(day.traffic, day.config);
    expect(p1).toMatchObject({
      talkSec: 82,
      agentTransfer: { afterSec: 30, mode: "warm", target: "group:sales", consultSec: 10 },
      talkAfterTransferSec: 40,
    });
    // After the greeting: the offer's key, then 1 to confirm their own number.
    expect(p2!.dtmf.map((d) => d.digits)).toEqual(["", "9", "1"]);
    const phone = planPhones(day.traffic, day.config).find((p) => p.key === "+15551000009")!;
    expect([phone.next(), phone.next(), phone.next()]).toEqual([
      { kind: "noAnswer" },
      { kind: "answer", afterSec: 3.5, talkSec: 60 },
      { kind: "answer", afterSec: 3.5, talkSec: 60 },
    ]);
    // A configuration whose queue offers no callback: the caller just waits.
    const support = day.config.groups.support!;
    const without: ConfigSnapshot = {
      ...day.config,
      groups: {
        ...day.config.groups,
        support: { ...support, queue: { ...support.queue, callback: undefined } },
      },
    } as ConfigSnapshot;
    expect(planCalls(day.traffic, without)[1]!.dtmf.map((d) => d.digits)).toEqual([""]);
  });

  it("are read from a traffic file, checked against the contact centre", () => {
    const model = parseTraffic(
      {
        traffic: {
          calls: [
            {
              atSec: 0,
              number: NUMBER,
              from: "+15551000001",
              talkSec: 82,
              transfer: { afterSec: 30, mode: "blind", to: "agent:sam", talkSec: 40 },
            },
            {
              atSec: 9,
              number: NUMBER,
              from: "+15551000002",
              callback: { number: "+15551000003", answers: ["noAnswer", 3.5] },
            },
          ],
        },
      },
      "t.yaml",
      CC.snapshot,
    );
    expect(model.calls![0]!.transfer).toEqual({ afterSec: 30, mode: "blind", to: "agent:sam", talkSec: 40 });
    expect(model.calls![1]!.callback).toEqual({
      number: "+15551000003",
      answers: [{ kind: "noAnswer" }, { kind: "answer", afterSec: 3.5 }],
    });
    // Another number to call back: 2, then the number and #.
    expect(planCalls(model, CC.snapshot)[1]!.dtmf.map((d) => d.digits)).toEqual([
      "",
      "9",
      "2",
      "15551000003#",
    ]);
    expect(() =>
      parseTraffic(
        {
          traffic: {
            calls: [
              { atSec: 0, number: NUMBER, transfer: { afterSec: 5, mode: "sideways", to: "group:nope" } },
              { atSec: 1, number: NUMBER, callback: { answers: ["maybe"] } },
            ],
          },
        },
        "t.yaml",
        CC.snapshot,
      ),
    ).toThrow(
      /calls\[0\]\.transfer\.mode: must be warm or blind[\s\S]*calls\[0\]\.transfer\.to: group:nope is not[\s\S]*calls\[1\]\.callback\.answers\[0\]: must be seconds to answer/,
    );
  });
});
