// A caller who hangs up at once: the gateway publishes the call's StartCall and, right behind it, its
// HangUp. Whatever happens to the StartCall on its way (its append fails and it is redelivered later, or it
// is decided in a batch after the one holding the HangUp), the HangUp must not be dead-lettered as "for a
// call that has not started": the call ends, with exactly one CallEnded.

import { randomUUID } from "node:crypto";
import { DEAD_LETTER_STREAM, type DeadLetter } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import { callInputSubject } from "@switchyard/contracts";
import type { AppendResult, StreamAppend } from "@switchyard/event-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agentInput,
  agents,
  callEvents,
  callInput,
  defineConfig,
  eventually,
  type Stack,
  startStack,
} from "./harness.js";

const BUSINESS = "+14155550100";
const CALLER = "+14155559998";
let stack: Stack;

/**
 * Fault injection (a stand-in, labelled: PostgreSQL cannot be made to fail one given transaction on demand):
 * the first append that would start one of these calls fails as a lost connection would.
 */
const failStartOf = new Set<string>();
class InjectedAppendError extends Error {
  override readonly name = "InjectedAppendError";
}

beforeAll(async () => {
  stack = await startStack({
    speed: 1,
    routerStore: (store) => ({
      readStream: (...args) => store.readStream(...args),
      appendMany(
        appends: ReadonlyArray<readonly StreamAppend[]>,
      ): Promise<ReadonlyArray<AppendResult | Error>> {
        // The whole transaction fails, as it would: every decision of the batch is redelivered.
        const starts = appends
          .flat()
          .filter(
            (a) => a.events.some((e) => e.type === "CallStarted") && failStartOf.has(a.streamId.slice(5)),
          );
        for (const a of starts) failStartOf.delete(a.streamId.slice(5));
        return starts.length > 0
          ? Promise.reject(new InjectedAppendError(`injected: append of ${starts[0]!.streamId} failed`))
          : store.appendMany(appends);
      },
    }),
  });
  await defineConfig(stack.eventStore, [
    ...agents(["eha", "ehb"]),
    {
      type: "DefineGroup",
      groupId: "early",
      name: "Early",
      strategy: "simultaneous",
      members: ["eha", "ehb"],
      ringTimeoutSec: 30,
    },
    {
      type: "DefineFlow",
      flow: {
        flowId: "early",
        name: "Early",
        start: "c",
        applets: {
          c: { kind: "connect", target: { kind: "group", groupId: "early" }, branches: { fallback: "bye" } },
          bye: { kind: "hangup" },
        },
      },
    },
    { type: "DefineNumber", number: BUSINESS, flowId: "early" },
  ]);
  for (const a of ["eha", "ehb"]) await agentInput(stack.bus, a, { type: "SignIn" });
});

afterAll(async () => {
  await stack?.close();
});

async function deadLettersOf(callIds: ReadonlySet<string>): Promise<DeadLetter[]> {
  const jsm = await natsConnectionOf(stack.bus).jetstreamManager();
  const stream = stack.bus.names.stream(DEAD_LETTER_STREAM);
  const info = await jsm.streams.info(stream).catch(() => undefined);
  if (!info || info.state.messages === 0) return [];
  const out: DeadLetter[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
    const letter = m?.json<DeadLetter>();
    if (letter && [...callIds].some((id) => letter.subject === callInputSubject(id))) out.push(letter);
  }
  return out;
}

async function ended(callId: string) {
  return eventually(
    async () => {
      const events = await callEvents(stack.eventStore, callId);
      return events.some((e) => e.type === "CallEnded") ? events : undefined;
    },
    `call ${callId} to end`,
    300,
    50,
  );
}

/** The gateway's two facts of a caller who hung up at once, published back to back on one connection. */
async function startAndHangUp(callId: string): Promise<void> {
  await Promise.all([
    callInput(
      stack.bus,
      callId,
      { type: "StartCall", callId, from: CALLER, to: BUSINESS },
      { gatewayId: "gw1" },
    ),
    callInput(stack.bus, callId, { type: "HangUp", reason: "callerHungUp" }, { gatewayId: "gw1" }),
  ]);
}

describe("a caller who hangs up before the router started the call", () => {
  it("ends the call when its StartCall failed once and was redelivered after the HangUp", async () => {
    const callId = randomUUID();
    failStartOf.add(callId);
    await startAndHangUp(callId);
    const events = await ended(callId);
    expect(failStartOf.has(callId)).toBe(false); // the fault was injected
    expect(events[0]?.type).toBe("CallStarted");
    expect(events.filter((e) => e.type === "CallEnded")).toHaveLength(1);
    expect(await deadLettersOf(new Set([callId]))).toEqual([]);
  });

  it("ends every call of a burst of callers who all hang up at once", async () => {
    const callIds = Array.from({ length: 60 }, () => randomUUID());
    // Every fifth StartCall fails once on its way, as under load.
    for (const [i, id] of callIds.entries()) if (i % 5 === 0) failStartOf.add(id);
    await Promise.all(callIds.map(startAndHangUp));
    for (const callId of callIds) {
      const events = await ended(callId);
      expect(events.filter((e) => e.type === "CallEnded")).toHaveLength(1);
    }
    expect(await deadLettersOf(new Set(callIds))).toEqual([]);
  });
});
