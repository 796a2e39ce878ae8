// One error class per failure, each with `name` set so logs and `instanceof`-free checks can tell them apart.

/** The initial connection to NATS failed; the message names the URL (without credentials) and the reason. */
export class BusUnreachableError extends Error {
  override readonly name = "BusUnreachableError";
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach NATS at ${url}: ${reason}`, options);
  }
}

/** A stream or consumer already exists with a configuration that cannot be updated to the declared one. */
export class BusConfigConflictError extends Error {
  override readonly name = "BusConfigConflictError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A prefix or logical name that would break subject/stream isolation. */
export class InvalidBusNameError extends Error {
  override readonly name = "InvalidBusNameError";
  constructor(message: string) {
    super(message);
  }
}

/** Thrown by a handler: the effect failed for a reason that may pass; redeliver after a delay. */
export class TransientError extends Error {
  override readonly name = "TransientError";
  readonly delayMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; delayMs?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.delayMs = options?.delayMs;
  }
}

/** Thrown by a handler (or a decoder): the message can never be processed; dead-letter it, never redeliver. */
export class PoisonMessageError extends Error {
  override readonly name = "PoisonMessageError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** JetStream (or the server) refused a publish: no stream for the subject, a failed expectation, a permission. */
export class PublishRefusedError extends Error {
  override readonly name = "PublishRefusedError";
  /** JetStream's API error (`err_code`, e.g. 10071 wrong last sequence) and HTTP-like `code`, when it gave one. */
  readonly errCode: number | undefined;
  readonly code: number | undefined;
  constructor(
    readonly subject: string,
    readonly reason: string,
    options?: { cause?: unknown; code?: number | undefined; errCode?: number | undefined },
  ) {
    super(
      `publish to ${subject} refused: ${reason}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = options?.code;
    this.errCode = options?.errCode;
  }
}

/** No acknowledgement of a publish within the bus's publish timeout (the message may still be stored). */
export class PublishTimeoutError extends Error {
  override readonly name = "PublishTimeoutError";
  constructor(
    readonly subject: string,
    readonly timeoutMs: number,
  ) {
    super(`publish to ${subject}: no acknowledgement within ${timeoutMs} ms`);
  }
}

/** The connection closed with publishes still waiting for their acknowledgement. */
export class BusClosedError extends Error {
  override readonly name = "BusClosedError";
  constructor() {
    super("the NATS connection closed before the publish was acknowledged");
  }
}
