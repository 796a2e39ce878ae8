// The in-process test platforms (test/e2e/harness.ts, test/sip/platform.ts) run each service on its own
// least-privilege NATS credentials from the shipped template, so the whole suite passing shows the template
// gives every service what it needs; this checks that the check itself bites: a right the template does not
// give is refused by the server and fails the platform's close().
import { afterAll, beforeAll, expect, it } from "vitest";
import { type E2EPlatform, startE2E } from "../e2e/harness.js";

let p: E2EPlatform | undefined;

beforeAll(async () => {
  p = await startE2E({ speed: 20 });
});

afterAll(async () => {
  await p?.close().catch(() => undefined);
});

it.skipIf(process.env.SWITCHYARD_TEST_NATS === "shared")(
  "a service using a right it was not given is refused, and the platform's close fails naming it",
  async () => {
    const platform = p!;
    expect(platform.buses.secured).toBe(true);
    expect(platform.buses.violations()).toEqual([]);
    // The router may not publish events (only the relay does).
    const router = await platform.buses.busOf("router");
    await expect(
      router.publish("evt.call.forged", { forged: true }, { msgId: "forged-1" }),
    ).rejects.toThrow();
    await expect(platform.close()).rejects.toThrow(/permissions do not give[\s\S]*evt\.call\.forged/);
    p = undefined;
  },
);
