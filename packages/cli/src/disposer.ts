/** A stack of clean-ups run in reverse order (Node 20 has no AsyncDisposableStack). Errors are collected. */
export class Disposer implements AsyncDisposable {
  readonly #steps: Array<() => PromiseLike<void> | void> = [];

  use<T extends AsyncDisposable>(resource: T): T {
    this.#steps.push(() => resource[Symbol.asyncDispose]());
    return resource;
  }

  defer(step: () => PromiseLike<void> | void): void {
    this.#steps.push(step);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const errors: unknown[] = [];
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    rethrow(errors);
  }
}

/**
 * Clean-ups run at the same time (each may itself be a Disposer run in order): for services that stop
 * independently and each wait on their own (a consumer lets its current pull end, up to a second).
 */
export class Together implements AsyncDisposable {
  readonly #steps: Array<() => PromiseLike<void> | void> = [];

  use<T extends AsyncDisposable>(resource: T): T {
    this.#steps.push(() => resource[Symbol.asyncDispose]());
    return resource;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const steps = this.#steps.splice(0);
    const results = await Promise.allSettled(steps.map(async (step) => step()));
    const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    rethrow(errors);
  }
}

/** The clean-ups' errors: the one as it was thrown, several together. */
function rethrow(errors: readonly unknown[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "several clean-ups failed");
}
