// What a queue of many waiting callers costs the platform in messages (`pnpm bench --only queue`), measured with
// a router: callers are put in one queue nobody serves, then two windows are counted, one in which the queue
// stands still and one in which callers leave it at a steady rate (each leaving caller is a queue change and
// moves everyone behind them up). Counted on the bus: the call inputs the router makes for itself (timers,
// queue changes, offers) and the position announcements it sends to the media gateway. The bar:
// announcement messages in proportion to callers × time, not to queue changes (a policy that tells every
// waiting caller about every change sends n − 1 messages per change).
import { randomUUID } from "node:crypto";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { type CallInputMessage, callInputSubject, legCommandSubject } from "@switchyard/contracts";
import { defineConfig } from "../e2e/harness.js";
import { now, round, sleep } from "./measure.js";
import { GATEWAY, type RoutingPlatform } from "./routing.js";

const QUEUE_NUMBER = "+14155550107";

export interface AnnouncementWindow {
  readonly seconds: number;
  /** Callers that left the queue per second (queue changes). */
  readonly changesPerSec: number;
  /** Call inputs the router made for itself per second (queue-position timers, offers, queue changes). */
  readonly routerInputsPerSec: number;
  /** `announcePosition` leg commands per second. */
  readonly announcementsPerSec: number;
}

export interface AnnouncementCost {
  readonly callers: number;
  readonly announceEverySec: number;
  /** Callers enqueued, and how long putting them in took (StartCall to their hold music). */
  readonly enqueued: number;
  readonly enqueueSeconds: number;
  readonly still: AnnouncementWindow;
  readonly changing: AnnouncementWindow;
  /**
   * Router-made messages (inputs + announcements) per waiting caller per announcement period, in each window:
   * at most 2 (the caller's position timer, and an announcement when the position changed), whatever the
   * number of queue changes.
   */
  readonly perCallerPerPeriod: { readonly still: number; readonly changing: number };
  /** What telling every waiting caller of every change would send in the changing window: (n − 1) per change. */
  readonly tellEveryonePerSec: number;
}

export async function measureAnnouncements(
  platform: RoutingPlatform,
  options: {
    readonly callers: number;
    readonly announceEverySec: number;
    readonly windowSec: number;
    readonly changesPerSec: number;
    readonly enqueuePerSec: number;
    readonly log: (line: string) => void;
  },
): Promise<AnnouncementCost> {
  const { callers, announceEverySec, windowSec, changesPerSec } = options;
  // One member who never signs in: nobody serves the queue, so it only grows and shrinks as callers come and go.
  await defineConfig(platform, [
    { type: "DefineAgent", agentId: "qa", name: "qa", contact: { kind: "phone", number: "+14155550108" } },
    {
      type: "DefineGroup",
      groupId: "qbench",
      name: "qbench",
      strategy: "longestIdle",
      members: ["qa"],
      queue: {
        enabled: true,
        announcePosition: true,
        announceEverySec,
        maxWaitSec: 86_400,
        maxSize: callers * 2,
      },
    },
    {
      type: "DefineFlow",
      flow: {
        flowId: "qbench",
        name: "qbench",
        start: "c",
        applets: {
          c: { kind: "connect", target: { kind: "group", groupId: "qbench" }, branches: { fallback: "bye" } },
          bye: { kind: "hangup" },
        },
      },
    },
    { type: "DefineNumber", number: QUEUE_NUMBER, flowId: "qbench" },
  ]);

  const { bus } = platform;
  const nc = natsConnectionOf(bus);
  const counts = { inputs: 0, announcements: 0 };
  const enqueued = new Set<string>();
  const ours = new Set<string>();
  const inputs = nc.subscribe(bus.names.subject(callInputSubject("*")), {
    callback: (err, msg) => {
      if (err) return;
      const m = msg.json() as CallInputMessage;
      if (!ours.has(m.messageId)) counts.inputs++;
    },
  });
  const commands = nc.subscribe(bus.names.subject(legCommandSubject(GATEWAY)), {
    callback: (err, msg) => {
      if (err) return;
      const m = msg.json() as { callId: string; command: { kind: string } };
      if (m.command.kind === "announcePosition") counts.announcements++;
      if (m.command.kind === "playHoldMusic") enqueued.add(m.callId);
    },
  });
  try {
    const callIds: string[] = [];
    const publish = (callId: string, input: CallInputMessage["input"], kind: string) => {
      const message: CallInputMessage = {
        messageId: `${callId}:${kind}`,
        callId,
        input,
        at: Date.UTC(2026, 0, 5, 9),
        gatewayId: GATEWAY,
      };
      ours.add(message.messageId);
      return bus.publish(callInputSubject(callId), message, { msgId: message.messageId });
    };
    const t0 = now();
    const acks: Array<Promise<unknown>> = [];
    for (let sent = 0; sent < callers; ) {
      const due = Math.min(callers, Math.floor(((now() - t0) * options.enqueuePerSec) / 1000) + 1);
      for (; sent < due; sent++) {
        const callId = randomUUID();
        callIds.push(callId);
        acks.push(
          publish(callId, { type: "StartCall", callId, from: "+14155550111", to: QUEUE_NUMBER }, "start"),
        );
      }
      await sleep(5);
    }
    await Promise.all(acks);
    const enqueueDeadline = now() + 120_000;
    while (enqueued.size < callers && now() < enqueueDeadline) await sleep(50);
    const enqueueSeconds = round((now() - t0) / 1000, 1);
    options.log(`  ${enqueued.size} of ${callers} callers waiting after ${enqueueSeconds} s`);
    // Let the first round of position timers start before counting.
    await sleep(Math.min(announceEverySec, windowSec) * 500);

    const count = async (changes: number): Promise<AnnouncementWindow> => {
      const before = { ...counts };
      const start = now();
      let left = 0;
      const hangUps: Array<Promise<unknown>> = [];
      while (now() - start < windowSec * 1000) {
        const due = Math.floor(((now() - start) * changes) / 1000);
        for (; left < due && callIds.length > 0; left++) {
          const callId = callIds.shift()!;
          hangUps.push(publish(callId, { type: "HangUp", reason: "caller" }, "hangup"));
        }
        await sleep(10);
      }
      await Promise.all(hangUps);
      const seconds = (now() - start) / 1000;
      return {
        seconds: round(seconds, 1),
        changesPerSec: round(left / seconds, 1),
        routerInputsPerSec: round((counts.inputs - before.inputs) / seconds, 1),
        announcementsPerSec: round((counts.announcements - before.announcements) / seconds, 1),
      };
    };
    const still = await count(0);
    const changing = await count(changesPerSec);
    const perCallerPerPeriod = (w: AnnouncementWindow) =>
      round(
        ((w.routerInputsPerSec + w.announcementsPerSec) * announceEverySec) / Math.max(1, enqueued.size),
        2,
      );
    const result: AnnouncementCost = {
      callers,
      announceEverySec,
      enqueued: enqueued.size,
      enqueueSeconds,
      still,
      changing,
      perCallerPerPeriod: { still: perCallerPerPeriod(still), changing: perCallerPerPeriod(changing) },
      tellEveryonePerSec: round(Math.max(0, enqueued.size - 1) * changing.changesPerSec),
    };
    options.log(
      `  still queue: ${still.routerInputsPerSec} router-made inputs/s, ${still.announcementsPerSec} announcements/s ` +
        `(${result.perCallerPerPeriod.still} per caller per ${announceEverySec} s); ` +
        `${changing.changesPerSec} callers leaving/s: ${changing.routerInputsPerSec} inputs/s, ${changing.announcementsPerSec} announcements/s ` +
        `(${result.perCallerPerPeriod.changing} per caller per ${announceEverySec} s; telling every caller of every change would be ${result.tellEveryonePerSec}/s)`,
    );
    return result;
  } finally {
    inputs.unsubscribe();
    commands.unsubscribe();
  }
}
