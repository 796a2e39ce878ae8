export {
  type BatchConsumerOptions,
  startDecisionConsumer,
} from "./consumer.js";
export {
  type Committed,
  type Decision,
  DecisionRuntime,
  type DecisionRuntimeConfig,
  type DecisionRuntimeStats,
  type DecisionView,
  type Effect,
  type InputOutcome,
  StreamNotLoadedError,
  UnexplainedWriteError,
  type Write,
} from "./runtime.js";
export {
  categoryOf,
  type LoadOptions,
  type Projection,
  projection,
  type StoredEvent,
  StreamCache,
  UnknownProjectionError,
} from "./stream-cache.js";
