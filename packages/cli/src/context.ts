/** What one command of the CLI runs with: its arguments, environment, signal and output. */
export interface CliContext {
  readonly command: string;
  /** Positional arguments after the command (admin commands: verb and id). */
  readonly args?: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly signal: AbortSignal;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}
