import type { ExpectedVersion } from "./types.js";

/** Any event store failure that has no more specific class; the underlying error is the `cause`. */
export class EventStoreError extends Error {
  override readonly name: string = "EventStoreError";
}

/** The stream was not at the version the writer expected; nothing of the append was written. */
export class WrongExpectedVersionError extends EventStoreError {
  override readonly name = "WrongExpectedVersionError";
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(
      `wrong expected version for stream ${streamId}: expected ${String(expected)}, actual ${actual}`,
      options,
    );
  }
}

/** A schema migration failed at start-up; the store is not usable. */
export class MigrationError extends EventStoreError {
  override readonly name = "MigrationError";
  constructor(
    readonly migrationName: string | undefined,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The database could not be connected to (refused, unknown host, unknown database, authentication). */
export class DatabaseUnreachableError extends EventStoreError {
  override readonly name = "DatabaseUnreachableError";
  constructor(
    /** host:port/database, never credentials. */
    readonly target: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`cannot reach PostgreSQL at ${target}: ${reason}`, options);
  }
}

/** One line describing an error from pg / node: its code (when any) and message, newlines collapsed. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error).replace(/\s+/g, " ");
  const code = (error as { code?: unknown }).code;
  let message = error.message;
  // Node reports a failed multi-address connect as an AggregateError with an empty message.
  if (!message && error instanceof AggregateError && error.errors.length > 0) {
    message = describeError(error.errors[0]);
  }
  const text = message || (typeof code === "string" ? code : error.name);
  const withCode = typeof code === "string" && !text.includes(code) ? `${code} ${text}` : text;
  return withCode.replace(/\s+/g, " ").trim();
}

const CONNECT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "3D000", // database does not exist
  "28000", // invalid authorization
  "28P01", // invalid password
  "57P03", // cannot connect now (starting up / shutting down)
  "53300", // too many connections
]);

/** Errors that mean the server could not be reached or would not accept the connection. */
export function isConnectFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return CONNECT_CODES.has(code) || code.startsWith("08");
  if (error instanceof AggregateError) return error.errors.some(isConnectFailure);
  // pg's own connect timeout, a dropped connection and SSL negotiation failures carry no code.
  return error instanceof Error && /timeout|connection terminated|ssl/i.test(error.message);
}
