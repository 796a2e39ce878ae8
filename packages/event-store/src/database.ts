import type { ColumnType, Generated } from "kysely";

// Table shapes for kysely. Identity and xid8 columns come back as strings from both drivers when cast to
// text; the store's own queries cast explicitly, so these types describe what a plain select returns.
export interface EventsTable {
  position: Generated<string>;
  stream_id: string;
  stream_version: number;
  event_id: string;
  type: string;
  data: unknown;
  metadata: ColumnType<Record<string, unknown>, string | undefined, string>;
  recorded_at: Generated<Date>;
  transaction_id: Generated<string>;
}

export interface StreamsTable {
  stream_id: string;
  version: number;
}

export interface CheckpointsTable {
  name: string;
  transaction_id: string;
  position: string;
}

export interface EventStoreDatabase {
  events: EventsTable;
  streams: StreamsTable;
  checkpoints: CheckpointsTable;
}
