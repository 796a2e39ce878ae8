// For tests only: the raw NATS connection behind a Bus (inspecting streams and consumers, publishing
// malformed bytes). Production code uses the Bus port; nothing outside tests imports this subpath.
import type { NatsConnection } from "nats";
import type { Bus } from "./bus.js";

export function natsConnectionOf(bus: Bus): NatsConnection {
  const connection = (bus as { connection?: NatsConnection }).connection;
  if (!connection) throw new TypeError("not a NATS bus");
  return connection;
}
