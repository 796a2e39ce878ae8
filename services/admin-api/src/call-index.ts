// The admin API's projection of calls for ListCalls and WatchEvents: it follows the whole log in commit
// order (the event store's readAll) from where it got to, so a list is as fresh as the log when asked.
import { type Checkpoint, type EventStore, type RecordedEvent, START } from "@switchyard/event-store";
import { callIdOfStream } from "@switchyard/routing-domain";

export interface CallSummary {
  readonly callId: string;
  readonly from: string;
  readonly to: string;
  readonly flowId: string;
  readonly startedAt: number;
  readonly endedAt?: number;
  readonly endReason?: string;
  /** Every agent a leg was originated to, in order. */
  readonly agents: readonly string[];
  /** Position of CallStarted (newest-first ordering). */
  readonly position: bigint;
}

/** An uploaded audio file, as its `audio-<id>` stream tells it. */
export interface AudioSummary {
  readonly audioId: string;
  readonly displayName: string;
  readonly purpose: string;
  readonly format: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  readonly at: number;
}

const PAGE = 2_000;

export class CallIndex {
  private checkpoint: Checkpoint = START;
  private readonly calls = new Map<string, CallSummary>();
  private readonly audio = new Map<string, AudioSummary>();
  private running: Promise<void> | undefined;

  constructor(private readonly store: Pick<EventStore, "readAll">) {}

  /** Reads every event recorded since the last catch-up (one reader at a time). */
  async catchUp(): Promise<Checkpoint> {
    // Callers arriving while a catch-up runs wait for it, then run their own (which may find more).
    while (this.running) await this.running;
    this.running = this.read();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
    return this.checkpoint;
  }

  list(): CallSummary[] {
    return [...this.calls.values()];
  }

  audioFiles(): AudioSummary[] {
    return [...this.audio.values()];
  }

  private async read(): Promise<void> {
    for (;;) {
      const page = await this.store.readAll(this.checkpoint, { limit: PAGE });
      for (const e of page.events) this.apply(e);
      this.checkpoint = page.checkpoint;
      if (page.events.length < PAGE) return;
    }
  }

  private apply(e: RecordedEvent): void {
    if (e.streamId.startsWith("audio-")) {
      if (e.type === "AudioUploaded") {
        const a = e.data as AudioSummary;
        this.audio.set(a.audioId, a);
      } else if (e.type === "AudioDeleted") this.audio.delete(e.streamId.slice("audio-".length));
      return;
    }
    const callId = callIdOfStream(e.streamId);
    if (callId === undefined) return;
    const data = e.data as Record<string, unknown>;
    const current = this.calls.get(callId);
    switch (e.type) {
      case "CallStarted":
        this.calls.set(callId, {
          callId,
          from: String(data.from ?? ""),
          to: String(data.to ?? ""),
          flowId: String(data.flowId ?? ""),
          startedAt: Number(data.at ?? 0),
          agents: [],
          position: e.position,
        });
        return;
      case "LegOriginateRequested":
        if (current && typeof data.agentId === "string" && !current.agents.includes(data.agentId))
          this.calls.set(callId, { ...current, agents: [...current.agents, data.agentId] });
        return;
      case "CallEnded":
        if (current)
          this.calls.set(callId, {
            ...current,
            endedAt: Number(data.at ?? 0),
            endReason: String(data.reason ?? ""),
          });
        return;
      default:
        return;
    }
  }
}
