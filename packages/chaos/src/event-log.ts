import { type EventStore, type RecordedEvent, START } from "@switchyard/event-store";

/**
 * The whole log of a schema, through the store's own reader (in commit order). Only events of committed
 * transactions older than every running one come back: read after the services stopped writing.
 */
export async function readEventLog(store: Pick<EventStore, "readAll">): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let after = START;
  for (;;) {
    const page = await store.readAll(after, { limit: 5_000 });
    all.push(...page.events);
    if (page.events.length === 0) return all;
    after = page.checkpoint;
  }
}
