/**
 * Base of every typed domain failure. Subclasses set `name` so adapters can map failures (e.g. to gRPC
 * status codes) without string matching on messages.
 */
export abstract class RoutingDomainError extends Error {
  abstract override readonly name: string;
}
