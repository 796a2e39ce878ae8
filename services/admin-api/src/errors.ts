// The admin API's failures. Handlers throw these (or let domain / event-store errors through); only the
// gRPC edge (status.ts) turns them into status codes with google.rpc details.

export interface FieldViolation {
  /** Path in the request, e.g. "agent.phone_number" or `spec.applets["sales"].connect.group`. */
  readonly field: string;
  readonly description: string;
  /** UPPER_SNAKE_CASE. */
  readonly reason: string;
}

/** The request itself is wrong: INVALID_ARGUMENT with every violation found. */
export class InvalidRequestError extends Error {
  override readonly name = "InvalidRequestError";
  constructor(
    readonly violations: readonly FieldViolation[],
    options?: ErrorOptions,
  ) {
    super(violations.map((v) => `${v.field}: ${v.description}`).join("; "), options);
  }
}

/** The named resource does not exist: NOT_FOUND. */
export class ResourceNotFoundError extends Error {
  override readonly name = "ResourceNotFoundError";
  constructor(
    readonly resourceType: string,
    readonly resourceName: string,
    options?: ErrorOptions,
  ) {
    super(`${resourceName} not found`, options);
  }
}

/** A resource with that name exists already: ALREADY_EXISTS. */
export class ResourceExistsError extends Error {
  override readonly name = "ResourceExistsError";
  constructor(
    readonly resourceType: string,
    readonly resourceName: string,
  ) {
    super(`${resourceName} already exists`);
  }
}

/** The etag the client sent is not the resource's current one: ABORTED (re-read and retry). */
export class EtagMismatchError extends Error {
  override readonly name = "EtagMismatchError";
  constructor(
    readonly resourceName: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${resourceName} has changed: etag "${expected}" is stale, the current one is "${actual}"`);
  }
}

/** Someone else kept writing the same stream while this request retried: ABORTED. */
export class ConcurrentWriteError extends Error {
  override readonly name = "ConcurrentWriteError";
  constructor(
    readonly streamId: string,
    options?: ErrorOptions,
  ) {
    super(`stream ${streamId} kept changing while the request was decided; retry`, options);
  }
}

/** The system is not in a state the request needs: FAILED_PRECONDITION with the violations. */
export class PreconditionError extends Error {
  override readonly name = "PreconditionError";
  constructor(
    readonly violations: ReadonlyArray<{ type: string; subject: string; description: string }>,
    options?: ErrorOptions,
  ) {
    super(violations.map((v) => `${v.subject}: ${v.description}`).join("; "), options);
  }
}

/** A request bigger than the API accepts (e.g. an audio upload over the limit): RESOURCE_EXHAUSTED. */
export class TooLargeError extends Error {
  override readonly name = "TooLargeError";
  constructor(
    readonly what: string,
    readonly limitBytes: number,
  ) {
    super(`${what} is larger than ${limitBytes} bytes`);
  }
}

/**
 * The caller's deadline passed (or it cancelled) before the request reached a write: DEADLINE_EXCEEDED
 * (CANCELLED when cancelled), and nothing is appended or sent.
 */
export class RequestAbandonedError extends Error {
  override readonly name = "RequestAbandonedError";
  constructor(
    readonly why: "deadline" | "cancelled",
    options?: ErrorOptions,
  ) {
    super(
      why === "deadline"
        ? "the deadline passed before the request was written; nothing was changed"
        : "the caller cancelled the request before it was written; nothing was changed",
      options,
    );
  }
}
