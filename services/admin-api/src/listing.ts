// AIP-158 paging and a small AIP-160 filter subset: `field = value` terms joined by AND, values quoted
// strings or bare words. Page tokens are opaque to clients: the last key returned and the filter they
// were made for (a token reused with another filter is INVALID_ARGUMENT, as AIP-158 asks).
import { type FieldViolation, InvalidRequestError } from "./errors.js";

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextPageToken: string;
}

interface Token {
  readonly after: string;
  readonly filter: string;
}

function decodeToken(token: string, filter: string): Token | undefined {
  if (token === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const t = parsed as Partial<Token> | undefined;
  if (typeof t?.after !== "string" || typeof t.filter !== "string")
    throw new InvalidRequestError([
      { field: "page_token", description: "not a token this API issued", reason: "INVALID_PAGE_TOKEN" },
    ]);
  if (t.filter !== filter)
    throw new InvalidRequestError([
      {
        field: "page_token",
        description: "the token was issued for another filter",
        reason: "INVALID_PAGE_TOKEN",
      },
    ]);
  return t as Token;
}

/** One page of `items` (already filtered), in key order, after the token's key. */
export function paginate<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  request: { readonly pageSize: number; readonly pageToken: string; readonly filter?: string },
): Page<T> {
  const violations: FieldViolation[] = [];
  if (!Number.isInteger(request.pageSize) || request.pageSize < 0)
    violations.push({ field: "page_size", description: "must not be negative", reason: "OUT_OF_RANGE" });
  if (violations.length > 0) throw new InvalidRequestError(violations);
  const filter = request.filter ?? "";
  const size = Math.min(request.pageSize === 0 ? DEFAULT_PAGE_SIZE : request.pageSize, MAX_PAGE_SIZE);
  const token = decodeToken(request.pageToken, filter);
  const sorted = [...items].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const rest = token === undefined ? sorted : sorted.filter((i) => keyOf(i) > token.after);
  const page = rest.slice(0, size);
  const last = page.at(-1);
  const nextPageToken =
    rest.length > size && last !== undefined
      ? Buffer.from(JSON.stringify({ after: keyOf(last), filter } satisfies Token)).toString("base64url")
      : "";
  return { items: page, nextPageToken };
}

export type FilterOp = "=" | "<" | "<=" | ">" | ">=";

export interface FilterTerm {
  readonly field: string;
  readonly op: FilterOp;
  readonly value: string;
}

const TERM = /^\s*([a-z_][a-z0-9_]*)\s*(<=|>=|=|<|>)\s*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_+:@./-]+))\s*/;

/**
 * Parses `a = "x" AND b = Y` (AIP-160's conjunctions); `ordered` fields also take `<`, `<=`, `>`, `>=`.
 * Fields outside `allowed`, a comparison on another field, or anything else is INVALID_ARGUMENT.
 */
export function parseFilter(
  filter: string,
  allowed: readonly string[],
  ordered: readonly string[] = [],
): FilterTerm[] {
  const bad = (description: string) =>
    new InvalidRequestError([{ field: "filter", description, reason: "INVALID_FILTER" }]);
  const terms: FilterTerm[] = [];
  let rest = filter.trim();
  if (rest === "") return terms;
  for (;;) {
    const m = TERM.exec(rest);
    if (!m) throw bad(`cannot parse "${rest.slice(0, 40)}": expected field = value`);
    const field = m[1]!;
    if (!allowed.includes(field) && !ordered.includes(field))
      throw bad(`unknown field "${field}" (filterable: ${[...allowed, ...ordered].join(", ") || "none"})`);
    const op = m[2] as FilterOp;
    if (op !== "=" && !ordered.includes(field)) throw bad(`"${field}" only takes =`);
    terms.push({ field, op, value: m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[4]! });
    rest = rest.slice(m[0].length);
    if (rest === "") return terms;
    const and = /^AND\s+/.exec(rest);
    if (!and) throw bad(`expected AND before "${rest.slice(0, 40)}"`);
    rest = rest.slice(and[0].length);
  }
}
