import { type OpenedEventStore, type RecordedEvent, readCommittedLog } from "@switchyard/event-store";

/** Every committed event of the store's schema, in position order (the harness's own open store). */
export function readEventLog(es: Pick<OpenedEventStore, "db">): Promise<RecordedEvent[]> {
  return readCommittedLog(es.db);
}
