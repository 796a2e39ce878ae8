import { randomUUID } from "node:crypto";
import { type Clock, type Random, systemClock, systemRandom } from "@switchyard/clock";
import { DecisionRuntime, projection, StreamCache } from "@switchyard/decision-runtime";
import type { EventStore } from "@switchyard/event-store";
import {
  CONFIG_STREAM,
  type ConfigEvent,
  type ConfigSnapshot,
  EMPTY_CONFIG,
  evolveConfig,
} from "@switchyard/routing-domain";
import type { ContactCentre } from "./load.js";
import { configEventsFor } from "./load.js";

/** The config stream changed under every attempt to append the contact centre. */
export class ConfigContendedError extends Error {
  override readonly name = "ConfigContendedError";
}

/**
 * The config write path: appends what the declared contact centre changes in the config stream, as one
 * decision of the decision runtime (read the stream, append the difference under its version; a concurrent
 * change is a conflict, decided again on what is there then). Returns the number of events written.
 */
export async function appendContactCentre(
  store: Pick<EventStore, "appendMany" | "readStream">,
  cc: ContactCentre,
  options: { readonly clock?: Clock; readonly random?: Random; readonly actor?: string } = {},
): Promise<number> {
  const cache = new StreamCache(store, [
    projection<ConfigSnapshot>("config", EMPTY_CONFIG, (s, e) =>
      evolveConfig(s, e as unknown as ConfigEvent),
    ),
  ]);
  let written = 0;
  const runtime = new DecisionRuntime<{ readonly messageId: string }>({
    store,
    cache,
    clock: options.clock ?? systemClock,
    random: options.random ?? systemRandom,
    publish: () => Promise.resolve(),
    keyOf: () => CONFIG_STREAM,
    messageIdOf: (m) => m.messageId,
    maxAttempts: 4,
    metadata: { actor: options.actor ?? "switchyard" },
    decide: async (_, view) => {
      const current = await view.load<ConfigSnapshot>(CONFIG_STREAM);
      const events = configEventsFor(cc, current.state);
      written = events.length;
      if (events.length === 0) return { kind: "noop" };
      return {
        kind: "write",
        writes: [{ streamId: CONFIG_STREAM, expectedVersion: current.version, events }],
      };
    },
  });
  const [outcome] = await runtime.run([{ messageId: randomUUID() }]);
  if (outcome instanceof Error) throw outcome;
  if (outcome !== undefined)
    throw new ConfigContendedError("the configuration kept changing while it was loaded");
  return written;
}
