/**
 * This process's appends, counted locally: a log follower in the same process (the relay) can tell that it
 * has read everything this process committed without asking the database, which the virtual clock's
 * quiescence check does at every jump of time. `exclusive` says whether that is everything: true for the
 * embedded PGlite (one process, one session), false for PostgreSQL (other processes may append).
 */
export class LocalWrites {
  #inFlight = 0;
  #committed = 0;
  readonly #listeners = new Set<() => void>();

  constructor(readonly exclusive: boolean) {}

  /** Appends started and not yet committed or failed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Appends committed so far that wrote events (one that wrote nothing leaves a follower nothing to read). */
  get committed(): number {
    return this.#committed;
  }

  /** Calls `listener` after every start and end of an append; returns its removal. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Counts `append` (one transaction) from its start until it commits or fails; `wrote` says whether the
   * committed result wrote events.
   */
  async track<T>(append: () => Promise<T>, wrote: (result: T) => boolean): Promise<T> {
    this.#inFlight++;
    this.#changed();
    let written = false;
    try {
      const result = await append();
      written = wrote(result);
      return result;
    } finally {
      this.#inFlight--;
      if (written) this.#committed++;
      this.#changed();
    }
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}
