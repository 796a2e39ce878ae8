import type { Bus, ConsumerHandle, DeliveryInfo } from "@switchyard/bus";
import type { DecisionRuntime } from "./runtime.js";

export interface BatchConsumerOptions<I> {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject?: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxAckPending?: number;
  /** Batches decided at once (default 1); inputs of one key still go in order. */
  readonly concurrency?: number;
  /** Most inputs per batch (default 256). */
  readonly maxBatch?: number;
  readonly prefetch?: number;
  /** Validates the JSON; throwing dead-letters the message. */
  readonly decode?: (json: unknown) => I;
  readonly onError?: (error: unknown, info: DeliveryInfo, outcome: "nak" | "dead-letter") => void;
  /** Told after each batch: its size and the real ms from taking it to its effects published. */
  readonly onBatch?: (size: number, ms: number) => void;
}

/** Feeds a JetStream consumer's messages to the runtime in batches; each message is settled by its input's outcome. */
export function startDecisionConsumer<I>(
  bus: Bus,
  runtime: DecisionRuntime<I>,
  options: BatchConsumerOptions<I>,
): Promise<ConsumerHandle> {
  const { onBatch, ...spec } = options;
  return bus.consumeBatches<I>({
    ...spec,
    handler: async (messages) => {
      const t0 = performance.now();
      const outcomes = await runtime.run(messages.map((m) => m.payload));
      onBatch?.(messages.length, performance.now() - t0);
      return outcomes;
    },
  });
}
