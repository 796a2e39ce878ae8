/**
 * A tiny given/when/then harness for deciders:
 *   given(decider, pastEvents).when(command).then(expectedEvents | ErrorClass)
 * Framework-free (throws AssertionError-like errors) so any test runner can use it.
 */
import { isDeepStrictEqual } from "node:util";

export interface Decider<S, C, E, R = readonly E[], X = undefined> {
  initialState(): S;
  evolve(state: S, event: E): S;
  decide(command: C, state: S, context: X): R;
}

// biome-ignore lint/suspicious/noExplicitAny: matching any error class
type ErrorClass = abstract new (...args: any[]) => Error;

export class SpecFailure extends Error {
  override readonly name = "SpecFailure";
}

const show = (v: unknown): string => JSON.stringify(v, null, 2);

/** Does `actual` contain everything in `expected` (deep, objects partially, arrays exactly by length)? */
export function matches(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== "object") return Object.is(actual, expected);
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((e, i) => matches(actual[i], e))
    );
  }
  if (actual === null || typeof actual !== "object") return false;
  return Object.entries(expected).every(([k, v]) => matches((actual as Record<string, unknown>)[k], v));
}

export interface Outcome<E, R> {
  /** Exactly these events, in this order; or the decision is refused with this error class. */
  then(expected: readonly E[] | ErrorClass): R | undefined;
  /** These (partially given) events occur in this order, possibly with others between them. */
  thenIncludes(expected: readonly unknown[]): R;
  /** No events (a stale or duplicate command). */
  thenNothing(): R;
  /** The raw decision for further assertions. */
  readonly result: R;
  readonly events: readonly E[];
}

export function spec<S, C, E, R = readonly E[], X = undefined>(
  decider: Decider<S, C, E, R, X>,
  eventsOf: (result: R) => readonly E[] = (r) => r as unknown as readonly E[],
) {
  return {
    given(past: readonly E[], context?: X) {
      const state = past.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: C): Outcome<E, R> {
          let result: R | undefined;
          let error: unknown;
          try {
            result = decider.decide(command, state, context as X);
          } catch (e) {
            error = e;
          }
          const events = (): readonly E[] => {
            if (error !== undefined)
              throw new SpecFailure(`expected events but the decider threw ${String(error)}`);
            return eventsOf(result as R);
          };
          return {
            // biome-ignore lint/suspicious/noThenProperty: the given/when/then vocabulary; outcomes are never awaited
            then(expected) {
              if (typeof expected === "function") {
                if (!(error instanceof expected)) {
                  throw new SpecFailure(
                    `expected ${expected.name} but got ${error === undefined ? show(eventsOf(result as R)) : String(error)}`,
                  );
                }
                return undefined;
              }
              const actual = events();
              if (!isDeepStrictEqual(actual, expected)) {
                throw new SpecFailure(`expected events\n${show(expected)}\nbut got\n${show(actual)}`);
              }
              return result;
            },
            thenIncludes(expected) {
              const actual = events();
              let i = 0;
              for (const e of actual) if (i < expected.length && matches(e, expected[i])) i++;
              if (i < expected.length) {
                throw new SpecFailure(
                  `expected (in order) ${show(expected[i])}\n(step ${i + 1} of ${expected.length}) in\n${show(actual)}`,
                );
              }
              return result as R;
            },
            thenNothing() {
              const actual = events();
              if (actual.length > 0) throw new SpecFailure(`expected no events but got\n${show(actual)}`);
              return result as R;
            },
            get result() {
              if (error !== undefined) throw error;
              return result as R;
            },
            get events() {
              return events();
            },
          };
        },
      };
    },
  };
}
