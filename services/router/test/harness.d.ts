import { start as startPresence } from "@switchyard/agent-presence";
import { type Bus, type ConsumerHandle } from "@switchyard/bus";
import { type Clock } from "@switchyard/clock";
import { type AgentInput, type CallInput, type CallInputMessage, type LegCommandMessage } from "@switchyard/contracts";
import { type OpenedEventStore } from "@switchyard/event-store";
import { type ConfigCommand } from "@switchyard/routing-domain";
import { type Router, type RouterConfig } from "../src/index.js";
export declare const DATABASE_URL: string;
export declare const NATS_URL: string;
export declare const sleep: (ms: number) => Promise<void>;
/** Polls until `check` yields a value; the bound only stops a hang, nothing asserts on time. */
export declare function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, tries?: number, everyMs?: number): Promise<T>;
/** Records every leg command sent to any gateway of this prefix. */
export declare class FakeGateway {
    readonly commands: LegCommandMessage[];
    handle?: ConsumerHandle;
    of(callId: string): LegCommandMessage[];
    waitFor(callId: string, pred: (c: LegCommandMessage) => boolean, what: string, count?: number): Promise<LegCommandMessage[]>;
}
export interface Stack {
    readonly eventStore: OpenedEventStore;
    readonly bus: Bus;
    readonly clock: Clock;
    readonly router: Router;
    readonly gateway: FakeGateway;
    readonly presence: Awaited<ReturnType<typeof startPresence>>;
    close(): Promise<void>;
}
export declare function startStack(options?: {
    speed?: number;
    router?: Partial<RouterConfig>;
}): Promise<Stack>;
/** Appends config commands through the config decider (expected version = what was read). */
export declare function defineConfig(store: OpenedEventStore, commands: readonly ConfigCommand[]): Promise<void>;
export declare function agentInput(bus: Bus, agentId: string, input: AgentInput): Promise<void>;
export declare function callInput(bus: Bus, callId: string, input: CallInput, extra?: {
    messageId?: string;
    gatewayId?: string;
    msgId?: string;
}): Promise<CallInputMessage>;
/** The call's stream from PostgreSQL: asserts it is complete (versions 1..n) and returns the event types. */
export declare function callEvents(store: OpenedEventStore, callId: string): Promise<import("@switchyard/event-store").RecordedEvent[]>;
export declare const agents: (ids: readonly string[]) => ConfigCommand[];
