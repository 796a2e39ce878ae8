// Toll-fraud caps end to end: with at most one external leg at a time for the account, of two callers sent
// to an external number at once exactly one is connected and the other is refused (DialRefused with the
// reason, in its history); once the first call ends its slot is free again. The count lives on the
// account's stream in PostgreSQL.
import { EXTERNAL_LEGS_STREAM } from "@switchyard/routing-domain";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  placeCall,
  startE2E,
} from "./harness.js";

const EXTERNAL = "+14155559876";
let p: E2EPlatform;

beforeAll(async () => {
  p = await startE2E();
});

afterAll(async () => {
  await p?.close();
});

it("at most one external leg at a time: the second caller is refused with the reason, then the slot frees", async () => {
  const flow = flowOnNumber("capped", "out", {
    out: { kind: "connect", target: { kind: "number", number: EXTERNAL }, branches: { fallback: "bye" } },
    bye: hangup,
  });
  await defineConfig(p, [
    { type: "ConfigureAccount", dialPolicy: { deniedPrefixes: [], maxConcurrentExternalLegs: 1 } },
    ...flow.commands,
  ]);
  // The external phone answers after 1 s; both callers talk for 20 s once connected.
  p.driver.setPhone(EXTERNAL, { kind: "answer", afterSec: 1 });
  const [a, b] = await Promise.all([
    placeCall(p, { from: "+14155550001", to: flow.number, talkSec: 20 }),
    placeCall(p, { from: "+14155550002", to: flow.number, talkSec: 20 }),
  ]);
  const [ea, eb] = await Promise.all([endedCall(p, a), endedCall(p, b)]);
  const types = (e: typeof ea) => e.events.map((x) => x.type);
  const connected = [ea, eb].filter((c) => types(c).includes("LegOriginateRequested"));
  const refused = [ea, eb].filter((c) => types(c).includes("DialRefused"));
  expect(connected).toHaveLength(1);
  expect(refused).toHaveLength(1);
  const reason = refused[0]!.events.find((x) => x.type === "DialRefused")!.data as { reason: string };
  expect(reason.reason).toBe("the account already has 1 external leg up (the cap is 1)");
  expect(types(connected[0]!)).toContain("LegsBridged");

  // Both calls are over: the account's stream counted one leg in and out, and a new caller gets through.
  const account = await p.eventStore.store.readStream(EXTERNAL_LEGS_STREAM);
  expect(account.map((e) => e.type)).toEqual(["ExternalLegStarted", "ExternalLegEnded"]);
  const c = await endedCall(p, await placeCall(p, { from: "+14155550003", to: flow.number, talkSec: 5 }));
  expect(c.types).toContain("LegOriginateRequested");
  expect(c.types).not.toContain("DialRefused");
  await eventually(
    async () => ((await p.eventStore.store.readStream(EXTERNAL_LEGS_STREAM)).length === 4 ? true : undefined),
    "the third call's leg counted in and out",
  );
});
