export {
  type Bus,
  type BusOptions,
  connectBus,
  type PublishAck,
  type PublishOptions,
  redactUrl,
} from "./bus.js";
export {
  type BatchConsumeOptions,
  type BatchOutcome,
  type BusActivity,
  type BusMessage,
  type BusObserver,
  busActivity,
  type ConsumeOptions,
  type ConsumerHandle,
  type ConsumerState,
  consumerStates,
  type DeadLetter,
  type DeliveryInfo,
  defaultBackoffMs,
  deliveryOf,
  type HandlerResult,
  setBusObserver,
} from "./consume.js";
export {
  BusClosedError,
  BusConfigConflictError,
  BusUnreachableError,
  InvalidBusNameError,
  PoisonMessageError,
  PublishRefusedError,
  PublishTimeoutError,
  TransientError,
} from "./errors.js";
export {
  type KeyValue,
  type KvEntry,
  type KvOptions,
  KvRevisionConflictError,
  type KvWatch,
} from "./key-value.js";
export {
  type BusNames,
  busNames,
  DEAD_LETTER_STREAM,
  deadLetterSubject,
  EVENTS_STREAM,
  eventCategorySubject,
  eventSubject,
  splitStreamId,
} from "./naming.js";
export {
  freeLoopbackPort,
  type NatsServer,
  type NatsServerOptions,
  NatsServerStartError,
  startNatsServer,
} from "./nats-server.js";
export {
  defaultPasswordVariable,
  inboxPrefixOf,
  type NatsPermissions,
  type NatsRole,
  natsAccountsConfig,
  natsPermissions,
  natsServerConfig,
  natsUser,
  type PermissionScope,
  SERVICE_ROLES,
  type ServiceRole,
} from "./permissions.js";
export {
  type ConsumerSpec,
  DEFAULT_DUPLICATE_WINDOW_MS,
  deadLetterStreamSpec,
  eventsStreamSpec,
  type StreamSpec,
  workQueueStreamSpec,
} from "./specs.js";
export { extractTrace, injectTrace, natsHeaderGetter, natsHeaderSetter, type TraceHeaders } from "./trace.js";
