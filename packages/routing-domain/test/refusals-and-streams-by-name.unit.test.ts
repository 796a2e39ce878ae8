// What an operator reads when the router refuses a call command or sorts events by stream: the router's log
// and dead-letter reasons print `${error.name}: ${error.message}` (bus/consume.ts), so each refusal must be
// named after its kind; and the statistics reader tells a call's stream from any other by its id alone.
import { describe, expect, it } from "vitest";
import {
  CallAlreadyStartedError,
  CallNotFoundError,
  CallNotQueuedError,
  callIdOfStream,
  callStreamId,
  NoAgentForQueueOfferError,
  NoConnectedAgentError,
  TransferInProgressError,
  TransferNotFoundError,
} from "../src/index.js";

describe("a refused call command is named after its kind in the router's log", () => {
  it.each([
    [CallAlreadyStartedError, () => new CallAlreadyStartedError("c1")],
    [CallNotFoundError, () => new CallNotFoundError("RequestTransfer")],
    [CallNotQueuedError, () => new CallNotQueuedError("c1")],
    [NoConnectedAgentError, () => new NoConnectedAgentError("c1")],
    [TransferInProgressError, () => new TransferInProgressError("t1")],
    [TransferNotFoundError, () => new TransferNotFoundError("t1")],
    [NoAgentForQueueOfferError, () => new NoAgentForQueueOfferError("c1", "ann")],
  ] as const)("%o", (kind, make) => {
    // Built inside the test: StrykerJS switches a mutant on per test, after the file's top level has run.
    const error = make();
    expect(`${error.name}: ${error.message}`).toBe(`${kind.name}: ${error.message}`);
  });
});

describe("a call's stream, told by its id", () => {
  it("the call's id comes back from its stream id, even when the id itself starts with call-", () => {
    for (const callId of ["c1", "call-7", "a-b-c"]) expect(callIdOfStream(callStreamId(callId))).toBe(callId);
  });

  it("an agent's, a queue's or the account's stream is no call's, even when call- appears later in its id", () => {
    for (const streamId of ["agent-ann", "queue-sales", "external-legs", "agent-call-", "x-call-1"]) {
      expect(callIdOfStream(streamId)).toBeUndefined();
    }
  });
});
