import type { OpenedEventStore, RecordedEvent } from "@switchyard/event-store";

/**
 * Every committed event of the store's schema, in position order. Not through `readAll`: a log follower
 * reads only below the cluster-wide snapshot horizon, so on a shared server another database's open
 * transaction would hide recent events from the checker; the checker wants everything committed.
 */
export async function readEventLog(es: Pick<OpenedEventStore, "db">): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let after = "0";
  for (;;) {
    const rows = await es.db
      .selectFrom("events")
      .select([
        "position",
        "stream_id",
        "stream_version",
        "event_id",
        "type",
        "data",
        "metadata",
        "recorded_at",
        "transaction_id",
      ])
      .where("position", ">", after)
      .orderBy("position")
      .limit(5_000)
      .execute();
    for (const r of rows)
      all.push({
        position: BigInt(r.position),
        streamId: r.stream_id,
        streamVersion: r.stream_version,
        eventId: r.event_id,
        type: r.type,
        data: r.data,
        metadata: r.metadata ?? {},
        recordedAt: new Date(r.recorded_at),
        transactionId: BigInt(r.transaction_id),
      });
    const last = rows.at(-1);
    if (!last) return all;
    after = String(last.position);
  }
}
