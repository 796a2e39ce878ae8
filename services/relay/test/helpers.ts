import { randomBytes } from "node:crypto";
import type { Bus } from "@switchyard/bus";
import { natsConnectionOf } from "@switchyard/bus/testing";
import type { EventMessage } from "@switchyard/contracts";

export const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const NATS_URL = process.env.NATS_URL ?? "nats://127.0.0.1:4222";

export function suffix(): string {
  return randomBytes(5).toString("hex");
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls until `check` yields a value; the bound only stops a hang, nothing asserts on time. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  tries = 1_200,
  everyMs = 50,
): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(everyMs);
  }
  throw new Error(`gave up waiting for ${what}`);
}

export async function streamMessageCount(bus: Bus, stream: string): Promise<number> {
  const jsm = await natsConnectionOf(bus).jetstreamManager();
  return (await jsm.streams.info(bus.names.stream(stream))).state.messages;
}

/** Every message of a stream in stream order, with its Nats-Msg-Id (ordered ephemeral consumer). */
export async function readStream(
  bus: Bus,
  stream: string,
): Promise<Array<{ msgId: string; subject: string; event: EventMessage; headers: Record<string, string> }>> {
  const total = await streamMessageCount(bus, stream);
  const out: Array<{ msgId: string; subject: string; event: EventMessage; headers: Record<string, string> }> =
    [];
  if (total === 0) return out;
  const consumer = await natsConnectionOf(bus).jetstream().consumers.get(bus.names.stream(stream));
  const messages = await consumer.consume({ max_messages: 1_000 });
  for await (const m of messages) {
    const headers: Record<string, string> = {};
    for (const k of m.headers?.keys() ?? []) headers[k] = m.headers!.get(k);
    out.push({
      msgId: headers["Nats-Msg-Id"] ?? "",
      subject: bus.names.logicalSubject(m.subject),
      event: m.json<EventMessage>(),
      headers,
    });
    if (out.length >= total) break;
  }
  await messages.close();
  return out;
}
