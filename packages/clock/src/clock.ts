/**
 * The one clock of a platform process. Every timestamp and every timer delay comes from here, so a
 * simulation can run the real services faster than real time (an hour of traffic in a minute).
 */
export interface Clock {
  /** Platform time, epoch ms. */
  now(): number;
  /** Real milliseconds to wait for `platformMs` of platform time to pass. */
  realDelay(platformMs: number): number;
  /** Resolves after `platformMs` of platform time (rejects with the signal's reason when aborted). */
  sleep(platformMs: number, signal?: AbortSignal): Promise<void>;
  /** Platform ms per real ms (1 in production). */
  readonly speed: number;
}
