/** Base of every failure of the fault-injection harness. */
export class ChaosError extends Error {
  override readonly name: string = "ChaosError";
}

/** A child process (PostgreSQL, nats-server, a service) did not come up. */
export class ProcessStartError extends ChaosError {
  override readonly name = "ProcessStartError";
  constructor(
    readonly what: string,
    readonly output: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`${what} did not start:\n${output.slice(-30).join("\n")}`, options);
  }
}

/** A run's parameters are out of range. */
export class ChaosOptionsError extends ChaosError {
  override readonly name = "ChaosOptionsError";
}

/** Publishing the harness's traffic kept failing past its deadline (NATS down for too long). */
export class TrafficPublishError extends ChaosError {
  override readonly name = "TrafficPublishError";
}

/** The JetStream EVENTS stream could not be read (the checker compares it with PostgreSQL). */
export class EventsStreamReadError extends ChaosError {
  override readonly name = "EventsStreamReadError";
}
