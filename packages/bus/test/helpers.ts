import { randomBytes } from "node:crypto";
import { type Bus, connectBus } from "../src/index.js";

export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

/** A prefix no other suite (or earlier run) uses, so each suite sees only its own streams. */
export function randomPrefix(): string {
  return `t${randomBytes(5).toString("hex")}`;
}

export async function testBus(prefix = randomPrefix()): Promise<Bus> {
  return connectBus({ url: NATS_URL, name: `bus-test-${prefix}`, prefix });
}

/** Polls until `check` returns a value (never on a wall-clock assertion: the bound only stops a hang). */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  tries = 400,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}
