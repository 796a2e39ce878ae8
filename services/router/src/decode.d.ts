import type { CallInputMessage, TimerMessage } from "@switchyard/contracts";
/** A bus message that does not have the shape of its contract: dead-lettered with this reason. */
export declare class MalformedMessageError extends Error {
    readonly name = "MalformedMessageError";
}
export declare function decodeCallInput(json: unknown): CallInputMessage;
export declare function decodeTimer(json: unknown): TimerMessage;
