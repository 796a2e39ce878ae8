export { expectedVersionHolds, planAppends } from "./append-plan.js";
export { BlobExistsError, type BlobInfo, type BlobStore } from "./blob-store.js";
export { describeTarget, redactUrl } from "./connection.js";
export type { CheckpointsTable, EventStoreDatabase, EventsTable, StreamsTable } from "./database.js";
export {
  DatabaseUnreachableError,
  EventStoreError,
  MigrationError,
  WrongExpectedVersionError,
} from "./errors.js";
export { type Folded, FoldedStreams } from "./folded-streams.js";
export { eventIdFor, KeyedLock, uuidFrom } from "./idempotence.js";
export { LocalWrites } from "./local-writes.js";
export { type EventLogReader, openEventLogReader, readCommittedLog } from "./log-reader.js";
export { migrations } from "./migrations.js";
export { appendChannel } from "./notifications.js";
export {
  dropSchema,
  type EventStoreHandle,
  type OpenEventStoreOptions,
  type OpenedEventStore,
  openEventStore,
  openMemoryEventStore,
} from "./open.js";
export type { AppendOptions, SqlEventStoreApi } from "./sql-event-store.js";
export * from "./types.js";
