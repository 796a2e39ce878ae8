// JetStream publishes pipelined on one reply subscription, as the Go client's PublishAsync does. nats.js's
// `js.publish` is a request per message: a timer armed and cleared, an entry in the request mux and, when the
// ack arrives, a "cancelled" NatsError built (with its stack trace) and thrown away. That was the largest
// part of a publisher's CPU under load (the relay publishes every event, ~6 per routing decision). Here a
// publish is one core publish with a reply subject `<inbox>.<token>`, its ack one message on a wildcard
// subscription, and the timeouts of all publishes one coarse timer.
import { createInbox, Events, type Msg, type MsgHdrs, type NatsConnection, type NatsError } from "nats";
import { BusClosedError, PublishRefusedError, PublishTimeoutError } from "./errors.js";

export interface RawPublishAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

interface Pending {
  readonly subject: string;
  /** The timer tick at which it was published. */
  readonly tick: number;
  readonly resolve: (ack: RawPublishAck) => void;
  readonly reject: (err: Error) => void;
}

/** Timer ticks per timeout: an unacknowledged publish fails 1 to 1.25 timeouts after it was sent. */
const TICKS_PER_TIMEOUT = 4;

const decoder = new TextDecoder();

export class PipelinedPublisher {
  readonly #inbox: string;
  readonly #pending = new Map<string, Pending>();
  #next = 0;
  #tick = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
    inboxPrefix?: string,
  ) {
    this.#inbox = createInbox(inboxPrefix);
    nc.subscribe(`${this.#inbox}.*`, { callback: (err, msg) => this.#onReply(err, msg) });
    void this.#watchPermissions();
    void nc.closed().then(() => this.#failAll(new BusClosedError()));
  }

  /** Publishes with `headers` (message id, expectations) and resolves with JetStream's acknowledgement. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<RawPublishAck> {
    const token = (this.#next++).toString(36);
    return new Promise<RawPublishAck>((resolve, reject) => {
      this.#pending.set(token, { subject, tick: this.#tick, resolve, reject });
      try {
        this.nc.publish(subject, data, { reply: `${this.#inbox}.${token}`, headers });
      } catch (err) {
        this.#pending.delete(token);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.#arm();
    });
  }

  #onReply(err: NatsError | null, msg: Msg): void {
    const token = msg.subject.slice(this.#inbox.length + 1);
    const p = this.#pending.get(token);
    if (!p) return; // timed out already
    this.#pending.delete(token);
    if (err) {
      p.reject(new PublishRefusedError(p.subject, err.message, { cause: err }));
      return;
    }
    // No stream listens on the subject: the server answers the reply subject with a 503 status.
    if (msg.headers?.code === 503) {
      p.reject(new PublishRefusedError(p.subject, "no stream captures this subject (no responders)"));
      return;
    }
    try {
      const ack = JSON.parse(decoder.decode(msg.data)) as {
        stream?: string;
        seq?: number;
        duplicate?: boolean;
        error?: { code?: number; err_code?: number; description?: string };
      };
      if (ack.error) {
        p.reject(
          new PublishRefusedError(p.subject, ack.error.description ?? "refused", {
            code: ack.error.code,
            errCode: ack.error.err_code,
          }),
        );
      } else if (typeof ack.stream !== "string" || typeof ack.seq !== "number") {
        p.reject(
          new PublishRefusedError(p.subject, `not a JetStream acknowledgement: ${decoder.decode(msg.data)}`),
        );
      } else {
        p.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
      }
    } catch (cause) {
      p.reject(new PublishRefusedError(p.subject, "unreadable acknowledgement", { cause }));
    }
  }

  /** The server refuses a publish the connection's user may not make with an error, not on the reply. */
  async #watchPermissions(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type !== Events.Error || s.permissionContext?.operation !== "publish") continue;
      const subject = s.permissionContext.subject;
      for (const [token, p] of this.#pending) {
        if (p.subject !== subject) continue;
        this.#pending.delete(token);
        p.reject(new PublishRefusedError(subject, `Permissions Violation for Publish to "${subject}"`));
        break;
      }
    }
  }

  #arm(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#expire(), Math.max(1, this.timeoutMs / TICKS_PER_TIMEOUT));
    this.#timer.unref?.();
  }

  #expire(): void {
    this.#tick++;
    // In publish order, so the expired ones come first.
    for (const [token, p] of this.#pending) {
      if (this.#tick - p.tick <= TICKS_PER_TIMEOUT) break;
      this.#pending.delete(token);
      p.reject(new PublishTimeoutError(p.subject, this.timeoutMs));
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #failAll(err: Error): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
