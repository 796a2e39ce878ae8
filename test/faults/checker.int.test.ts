// The checker reads a real PostgreSQL event log: a log written as the deciders write it passes, and an agent
// double-reserved by events this test appends (bypassing every decider) is reported with the streams involved.
import { randomBytes, randomUUID } from "node:crypto";
import { checkEventLog, formatReport, readEventLog } from "@switchyard/chaos";
import { dropSchema, type OpenedEventStore, openEventStore } from "@switchyard/event-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `faults_checker_${randomBytes(4).toString("hex")}`;
let es: OpenedEventStore;

beforeAll(async () => {
  es = await openEventStore({ url: DATABASE_URL, schema: SCHEMA, poolSize: 2 });
});

afterAll(async () => {
  await es?.close();
  await dropSchema(DATABASE_URL, SCHEMA);
});

const ev = (type: string, data: unknown, causationId = randomUUID()) => ({
  eventId: randomUUID(),
  type,
  data,
  metadata: { causationId },
});

/** A call started and routed to `agentId`, its agent reserved in the same append, as a router does it. */
async function routedCall(callId: string, agentId: string, agentVersion: number): Promise<void> {
  const cause = randomUUID();
  const legId = `${callId}:leg-1`;
  await es.store.append([
    {
      streamId: `call-${callId}`,
      expectedVersion: "no_stream",
      events: [
        ev(
          "CallStarted",
          {
            callId,
            from: "+1",
            to: "+2",
            flowId: "f",
            configVersion: 1,
            callerLegId: `${callId}:leg-0`,
            at: 1,
          },
          cause,
        ),
        ev(
          "LegOriginateRequested",
          {
            legId,
            role: "target",
            to: { kind: "phone", number: "+3" },
            agentId,
            callerId: "+2",
            timeoutSec: 15,
          },
          cause,
        ),
      ],
    },
    {
      streamId: `agent-${agentId}`,
      expectedVersion: agentVersion,
      events: [ev("AgentReserved", { callId, legId, at: 1 }, cause)],
    },
  ]);
}

async function endCall(callId: string, agentId: string, agentVersion: number): Promise<void> {
  const cause = randomUUID();
  await es.store.append([
    {
      streamId: `call-${callId}`,
      expectedVersion: 2,
      events: [
        ev("LegCancelRequested", { legId: `${callId}:leg-1`, reason: "x" }, cause),
        ev("CallEnded", { reason: "x", at: 2 }, cause),
      ],
    },
    {
      streamId: `agent-${agentId}`,
      expectedVersion: agentVersion,
      events: [ev("AgentReleased", { callId, at: 2, reason: "x" }, cause)],
    },
  ]);
}

describe("the invariant checker over PostgreSQL", () => {
  it("passes a log written the way the deciders write it", async () => {
    await es.store.append([
      { streamId: "agent-ana", expectedVersion: "no_stream", events: [ev("AgentSignedIn", { at: 0 })] },
    ]);
    await routedCall("c1", "ana", 1);
    await endCall("c1", "ana", 2);
    const report = checkEventLog(await readEventLog(es));
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ calls: 1, callsEnded: 1, agents: 1, reservations: 1 });
  });

  it("reports an agent this test reserves for a second call while the first still holds it", async () => {
    await routedCall("c2", "ana", 3);
    // Planted: a reservation no decider would write (ana is reserved for c2), appended directly.
    await routedCall("c3", "ana", 4);
    await endCall("c2", "ana", 5);
    const report = checkEventLog(await readEventLog(es));
    console.log(formatReport(report).join("\n"));
    expect(report.counts["double-booking"]).toBe(1);
    expect(report.violations.find((v) => v.invariant === "double-booking")?.streams).toEqual([
      "agent-ana",
      "call-c2",
      "call-c3",
    ]);
    // c3 never ended: nothing released it, since c2's release freed the agent instead.
    expect(report.counts["stuck-call"]).toBe(1);
  });
});
