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
