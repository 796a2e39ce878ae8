import { unserialisable, validate } from "./append-plan.js";
import { EventStoreError, WrongExpectedVersionError } from "./errors.js";
import type { AppendResult, StreamAppend } from "./types.js";

/**
 * A batch of appends as the argument of `event_store_append` (migrations.ts), which locks, reads,
 * decides and writes the whole batch in one autocommit statement by planAppends' rules.
 *
 * What must fail an append alone is decided here, before any SQL: invalid input and a payload that
 * JSON.stringify rejects. Unlike planAppends, every event is serialised, also one whose id turns out
 * to be stored already (its payload is then unused): which ids are stored is only known in the database.
 *
 * The payload references streams and event ids by number (1-based) so that the function works on
 * integer arrays instead of looking strings up in jsonb:
 * - `s`: distinct stream ids; `i`: distinct event ids (lower case)
 * - per stream of an append, in batch order: `a` the append's number, `k` the stream's number,
 *   `x` the expected version (-1 any, -2 no_stream, -3 stream_exists, else the version)
 * - per event, in batch order: `n` its stream-of-an-append's number, `j` its id's number, and in `e`
 *   its type, data and metadata (`{t, d, m}`)
 */
export interface AppendStatement {
  /** The jsonb argument (as text), or undefined when no append needs the database. */
  readonly payload: string | undefined;
  /** Turns the function's rows into one result per append of the batch. */
  results(rows: readonly AppendRow[]): ReadonlyArray<AppendResult | Error>;
}

/** One row of `event_store_append` per append it was given. */
export interface AppendRow {
  /** The append's number in the payload (1-based). */
  readonly append_no: number;
  /** Events written; 0 for a retry of stored events; null on a version mismatch. */
  readonly written: number | null;
  /** Per stream of the append: its version after the append (current versions for a retry or mismatch). */
  readonly versions: readonly number[];
  /** Index of the first stream whose expected version does not hold (0-based), or null. */
  readonly mismatch: number | null;
}

const EXPECTED = { any: -1, no_stream: -2, stream_exists: -3 } as const;
/** Above any int4 version: an expected version this large can never hold. */
const NEVER = 2 ** 31;

export function appendStatement(appends: ReadonlyArray<readonly StreamAppend[]>): AppendStatement {
  const known: Array<AppendResult | Error | undefined> = [];
  /** Per append of the batch: its number in the payload (1-based), 0 when not sent. */
  const payloadNo: number[] = [];
  let sent = 0;
  const streamNo = new Map<string, number>();
  const idNo = new Map<string, number>();
  const entryAppend: number[] = [];
  const entryStream: number[] = [];
  const entryExpected: number[] = [];
  const eventEntry: number[] = [];
  const eventId: number[] = [];
  const rows: string[] = [];

  for (const [index, append] of appends.entries()) {
    payloadNo.push(0);
    const invalid = validate(append);
    if (invalid) {
      known.push(invalid);
      continue;
    }
    if (append.length === 0) {
      known.push({ streams: [], written: 0 });
      continue;
    }
    let serialised: string[][];
    try {
      serialised = append.map((stream) =>
        stream.events.map((event) => {
          try {
            return JSON.stringify({ t: event.type, d: event.data ?? null, m: event.metadata ?? {} });
          } catch (error) {
            throw unserialisable(event, stream, error);
          }
        }),
      );
    } catch (error) {
      known.push(error as Error);
      continue;
    }
    known.push(undefined);
    sent += 1;
    payloadNo[index] = sent;
    for (const [s, stream] of append.entries()) {
      entryAppend.push(sent);
      entryStream.push(numberOf(streamNo, stream.streamId));
      const expected = stream.expectedVersion;
      entryExpected.push(typeof expected === "number" ? Math.min(expected, NEVER) : EXPECTED[expected]);
      for (const [e, event] of stream.events.entries()) {
        eventEntry.push(entryAppend.length);
        eventId.push(numberOf(idNo, event.eventId.toLowerCase()));
        rows.push(serialised[s]![e]!);
      }
    }
  }

  const payload =
    sent === 0
      ? undefined
      : `{"s":${JSON.stringify([...streamNo.keys()])},"i":${JSON.stringify([...idNo.keys()])},` +
        `"a":[${entryAppend.join(",")}],"k":[${entryStream.join(",")}],"x":[${entryExpected.join(",")}],` +
        `"n":[${eventEntry.join(",")}],"j":[${eventId.join(",")}],"e":[${rows.join(",")}]}`;

  return {
    payload,
    results(answer) {
      const decided = new Map(answer.map((row) => [row.append_no, row]));
      return known.map((result, index) => {
        if (result) return result;
        const append = appends[index]!;
        const row = decided.get(payloadNo[index]!);
        if (!row) return new EventStoreError("append produced no result");
        if (row.mismatch !== null) {
          const stream = append[row.mismatch]!;
          return new WrongExpectedVersionError(
            stream.streamId,
            stream.expectedVersion,
            row.versions[row.mismatch]!,
          );
        }
        return {
          streams: append.map((stream, s) => ({ streamId: stream.streamId, version: row.versions[s]! })),
          written: row.written ?? 0,
        };
      });
    },
  };
}

function numberOf(numbers: Map<string, number>, key: string): number {
  let n = numbers.get(key);
  if (n === undefined) {
    n = numbers.size + 1;
    numbers.set(key, n);
  }
  return n;
}
