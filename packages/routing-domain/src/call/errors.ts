import { RoutingDomainError } from "../shared/errors.js";

export class CallAlreadyStartedError extends RoutingDomainError {
  override readonly name = "CallAlreadyStartedError";
  constructor(readonly callId: string) {
    super(`call ${callId} has already started`);
  }
}
export class CallNotFoundError extends RoutingDomainError {
  override readonly name = "CallNotFoundError";
  constructor(readonly command: string) {
    super(`${command} for a call that has not started`);
  }
}
export class CallNotQueuedError extends RoutingDomainError {
  override readonly name = "CallNotQueuedError";
  constructor(readonly callId: string) {
    super(`call ${callId} is not waiting in a queue`);
  }
}
export class NoConnectedAgentError extends RoutingDomainError {
  override readonly name = "NoConnectedAgentError";
  constructor(readonly callId: string) {
    super(`call ${callId} has no agent connected to the caller to transfer from`);
  }
}
export class TransferInProgressError extends RoutingDomainError {
  override readonly name = "TransferInProgressError";
  constructor(readonly transferId: string) {
    super(`transfer ${transferId} is already in progress`);
  }
}
export class TransferNotFoundError extends RoutingDomainError {
  override readonly name = "TransferNotFoundError";
  constructor(readonly transferId: string) {
    super(`no transfer ${transferId} in progress in a state that allows this`);
  }
}
/** A queued caller's offer found no member of the group who can take the call now (the views lagged). */
export class NoAgentForQueueOfferError extends RoutingDomainError {
  override readonly name = "NoAgentForQueueOfferError";
  constructor(
    readonly callId: string,
    readonly freedAgentId: string,
  ) {
    super(`no agent can take queued call ${callId} now (offered when ${freedAgentId} became free)`);
  }
}
