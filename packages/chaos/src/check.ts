// `switchyard check` against any deployment: the PostgreSQL log (read-only) and, given a NATS URL, the
// JetStream EVENTS stream, through the invariant checker. Exact on a quiesced deployment; on a live one the
// log is read before and after the bus, so events committed meanwhile count neither as lost nor as phantoms.
import { connectBus } from "@switchyard/bus";
import { openEventLogReader, type RecordedEvent } from "@switchyard/event-store";
import { type CheckReport, checkEventLog, type RelayedEvent } from "./checker.js";
import { EventsStreamReader } from "./events-stream.js";

export interface DeploymentCheckOptions {
  readonly databaseUrl: string;
  readonly schema?: string;
  /** Absent: the bus is not compared. */
  readonly natsUrl?: string;
  readonly prefix?: string;
  /** How long the relay may take to put the log's last events on the bus (default 10 s). */
  readonly settleMs?: number;
  /** The bus has been read when nothing more arrived for this long (default 2 s). */
  readonly idleMs?: number;
  readonly log?: (line: string) => void;
}

export interface DeploymentCheck {
  readonly report: CheckReport;
  readonly events: readonly RecordedEvent[];
}

export async function checkDeployment(o: DeploymentCheckOptions): Promise<DeploymentCheck> {
  const log = o.log ?? (() => undefined);
  const reader = await openEventLogReader({ url: o.databaseUrl, ...(o.schema ? { schema: o.schema } : {}) });
  try {
    const events = await reader.readLog();
    log(`event log: ${events.length} events`);
    if (o.natsUrl === undefined) return { report: checkEventLog(events), events };
    const bus = await connectBus({ url: o.natsUrl, prefix: o.prefix ?? "sy", name: "switchyard-check" });
    let relayed: RelayedEvent[];
    try {
      const stream = await EventsStreamReader.start(bus);
      try {
        const until = performance.now() + (o.settleMs ?? 10_000);
        const ids = events.map((e) => e.eventId);
        while (!stream.holds(ids) && performance.now() < until) await new Promise((r) => setTimeout(r, 200));
        await stream.idle(o.idleMs ?? 2_000);
        relayed = stream.messages();
      } finally {
        await stream.close();
      }
    } finally {
      await bus.close().catch(() => undefined);
    }
    log(`JetStream EVENTS: ${relayed.length} messages`);
    // Messages of events committed after the first read are not phantoms: the second read holds them.
    const first = new Set(events.map((e) => e.eventId));
    const later = new Set((await reader.readLog()).map((e) => e.eventId).filter((id) => !first.has(id)));
    const comparable = relayed.filter((m) => m.id === undefined || !later.has(m.id));
    return { report: checkEventLog(events, { bus: comparable }), events };
  } finally {
    await reader.close();
  }
}
