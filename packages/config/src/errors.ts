/** A configuration value is missing, malformed or contradictory. Its message is one line for the user. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    message: string,
    readonly problems: readonly ConfigProblem[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One problem found while loading configuration: where it is and what is wrong. */
export interface ConfigProblem {
  readonly source: string; // file path, "env" or "flags"
  readonly path: string; // e.g. "nats.url" or "--target"
  readonly reason: string;
}
