import { type Bus } from "@switchyard/bus";
import { type Clock } from "@switchyard/clock";
import { type EventStore } from "@switchyard/event-store";
export type RouterLogLevel = "debug" | "info" | "warn" | "error";
export type RouterLog = (level: RouterLogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => void;
export interface RouterConfig {
    readonly eventStore: {
        readonly store: Pick<EventStore, "append" | "readStream">;
    };
    /** Already connected, with the deployment's prefix. */
    readonly bus: Bus;
    /** The one platform clock (default: the system clock). */
    readonly clock?: Clock;
    /** Where leg commands go when neither the input nor the call names a gateway (default "default"). */
    readonly gatewayId?: string;
    /** Call inputs handled at once by this instance (default 16). */
    readonly concurrency?: number;
    /** Durable consumer base name shared by all router replicas (default "router"). */
    readonly durable?: string;
    /** Redelivery of an unacked input after a crash (default 10 s real time). */
    readonly ackWaitMs?: number;
    /** Presence KV bucket (default `<prefix>_presence`). */
    readonly presenceBucket?: string;
    /** Decide attempts after version conflicts before the input is nak-ed for later (default 8). */
    readonly maxAttempts?: number;
    readonly log?: RouterLog;
}
export interface RouterStats {
    /** Inputs whose decision was appended. */
    readonly decisions: number;
    /** Inputs that changed nothing (stale). */
    readonly noops: number;
    /** Redelivered inputs whose decision was already stored (side effects re-published only). */
    readonly replays: number;
    readonly conflicts: number;
    /** Decisions re-taken after reading agents the view showed unavailable (nobody could be offered the call). */
    readonly verifications: number;
    readonly refused: number;
    readonly timersFired: number;
    readonly offers: number;
}
export interface Router extends AsyncDisposable {
    stats(): RouterStats;
}
/**
 * The router: runs each call's flow with the routing domain. Stateless apart from caches (every decision is
 * appended with the expected version of each stream it read), so any number of replicas may share its
 * durable consumers.
 */
export declare function start(config: RouterConfig): Promise<Router>;
