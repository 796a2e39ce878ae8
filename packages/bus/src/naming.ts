import { InvalidBusNameError } from "./errors.js";

// Naming (how a prefix isolates one deployment or one test suite from another):
//
//   prefix      `sy` (lowercase letters, digits and `_`, starting with a letter; no `.` or `-`)
//   stream      `<PREFIX>-<NAME>`            e.g. `SY-EVENTS`, `SY-DEADLETTER`, `SY-LEG_COMMANDS`
//   subject     `<prefix>.<logical subject>` e.g. `sy.evt.call.123`, `sy.dlq.EVENTS.router`
//
// Callers of the bus only ever use logical names (`EVENTS`, `evt.call.123`); the bus adds the prefix on the
// way out and strips it on the way in. Neither prefixes nor logical stream names contain `-`, so a stream
// name splits back unambiguously at its only dash; the prefix is the whole first subject token, so no two
// prefixes' subjects overlap. (The prefix rule matches @switchyard/config's.)

const PREFIX_RE = /^[a-z][a-z0-9_]{0,31}$/;
const STREAM_NAME_RE = /^[A-Z][A-Z0-9_]{0,63}$/;
// A logical subject: dot-separated tokens; the last may be a wildcard in stream/filter declarations.
const SUBJECT_TOKEN_RE = /^[A-Za-z0-9_%:=@+-]+$/;

export function assertPrefix(prefix: string): void {
  if (!PREFIX_RE.test(prefix)) {
    throw new InvalidBusNameError(
      `invalid bus prefix ${JSON.stringify(prefix)}: use lowercase letters, digits and _, starting with a letter`,
    );
  }
}

export function assertStreamName(name: string): void {
  if (!STREAM_NAME_RE.test(name)) {
    throw new InvalidBusNameError(
      `invalid stream name ${JSON.stringify(name)}: use uppercase letters, digits and _, starting with a letter`,
    );
  }
}

export function assertLogicalSubject(subject: string, allowWildcards: boolean): void {
  const tokens = subject.split(".");
  tokens.forEach((t, i) => {
    const wildcard = t === "*" || (t === ">" && i === tokens.length - 1);
    if (wildcard ? !allowWildcards : !SUBJECT_TOKEN_RE.test(t)) {
      throw new InvalidBusNameError(`invalid subject ${JSON.stringify(subject)}`);
    }
  });
}

export interface BusNames {
  readonly prefix: string;
  /** Logical stream name → JetStream stream name (`EVENTS` → `SY-EVENTS`). */
  stream(name: string): string;
  /** Logical subject → wire subject (`evt.call.1` → `sy.evt.call.1`). */
  subject(logical: string): string;
  /** Wire subject → logical subject (the inverse of `subject`). */
  logicalSubject(wire: string): string;
}

export function busNames(prefix: string): BusNames {
  assertPrefix(prefix);
  const streamPrefix = `${prefix.toUpperCase()}-`;
  const subjectPrefix = `${prefix}.`;
  return {
    prefix,
    stream(name) {
      assertStreamName(name);
      return streamPrefix + name;
    },
    subject(logical) {
      return subjectPrefix + logical;
    },
    logicalSubject(wire) {
      return wire.startsWith(subjectPrefix) ? wire.slice(subjectPrefix.length) : wire;
    },
  };
}

// Subject tokens cannot hold `.`, `*`, `>` or whitespace; ids are percent-encoded rather than rejected so a
// single odd stream id can never wedge the relay.
function encodeToken(raw: string): string {
  if (raw === "") return "%";
  return raw.replace(/[^A-Za-z0-9_:=@+-]/g, (c) =>
    Array.from(new TextEncoder().encode(c))
      .map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`)
      .join(""),
  );
}

/** Category and id of an event stream id: the category is what is before the first dash (`call-1-2` → call, 1-2). */
export function splitStreamId(streamId: string): { readonly category: string; readonly id: string } {
  const dash = streamId.indexOf("-");
  if (dash < 0) return { category: streamId, id: "" };
  return { category: streamId.slice(0, dash), id: streamId.slice(dash + 1) };
}

/** Logical subject of an event of the given stream in the EVENTS stream: `evt.<category>.<id>`. */
export function eventSubject(streamId: string): string {
  const { category, id } = splitStreamId(streamId);
  return `evt.${encodeToken(category)}.${encodeToken(id)}`;
}

/** Logical filter subject for every event of one category (`evt.call.>`). */
export function eventCategorySubject(category: string): string {
  return `evt.${encodeToken(category)}.>`;
}

/** Logical dead-letter subject of a consumer: `dlq.<stream>.<durable>`. */
export function deadLetterSubject(stream: string, durable: string): string {
  return `dlq.${encodeToken(stream)}.${encodeToken(durable)}`;
}

export const EVENTS_STREAM = "EVENTS";
export const DEAD_LETTER_STREAM = "DEADLETTER";
