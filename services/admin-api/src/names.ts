// Resource names (AIP-122): `agents/{agent}`, `groups/{group}`, `flows/{flow}`, `flows/{flow}/versions/{n}`,
// `numbers/{e164}`. Ids are 1-63 characters of [A-Za-z0-9_-] (safe in stream ids and NATS subjects).
import { hasControlCharacters } from "@switchyard/contracts";
import { isE164 } from "@switchyard/routing-domain";
import { type FieldViolation, InvalidRequestError } from "./errors.js";

export const ID = /^[A-Za-z0-9_-]{1,63}$/;

export type Collection = "agents" | "groups" | "flows" | "numbers" | "queues" | "audio";

export function idViolation(id: string, field: string): FieldViolation | undefined {
  if (ID.test(id)) return undefined;
  return {
    field,
    description: `"${id.slice(0, 80)}" is not a valid id (1-63 characters of A-Z a-z 0-9 _ -)`,
    reason: "INVALID_ID",
  };
}

export const requiredViolation = (field: string): FieldViolation => ({
  field,
  description: "required",
  reason: "REQUIRED",
});

/** The resource a request carries, or an InvalidRequestError saying it is required. */
export function requireResource<T>(resource: T | undefined, field: string): T {
  if (!resource) throw new InvalidRequestError([requiredViolation(field)]);
  return resource;
}

/** A create request's problems, all at once: an invalid id, a missing resource. */
export function createViolations(
  id: string,
  idField: string,
  resource: unknown,
  resourceField: string,
): FieldViolation[] {
  const violations: FieldViolation[] = [];
  const bad = idViolation(id, idField);
  if (bad) violations.push(bad);
  if (!resource) violations.push(requiredViolation(resourceField));
  return violations;
}

/** The id in `collection/{id}`, or a violation naming `field`. */
export function parseName(
  collection: Collection,
  name: string,
  field: string,
): { id: string } | { violation: FieldViolation } {
  const prefix = `${collection}/`;
  const id = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
  const valid = id !== undefined && (collection === "numbers" ? isE164(id) : ID.test(id));
  if (valid) return { id };
  const shape = collection === "numbers" ? "numbers/{E.164 number}" : `${collection}/{id}`;
  return {
    violation: {
      field,
      description: `"${name.slice(0, 80)}" is not a resource name of the form ${shape}`,
      reason: "INVALID_NAME",
    },
  };
}

/** parseName, throwing INVALID_ARGUMENT. */
export function idFrom(collection: Collection, name: string, field = "name"): string {
  const parsed = parseName(collection, name, field);
  if ("violation" in parsed) throw new InvalidRequestError([parsed.violation]);
  return parsed.id;
}

export const nameOf = (collection: Collection, id: string): string => `${collection}/${id}`;

/** A required human text of at most `max` characters without control characters, or a violation. */
export function textViolation(
  value: string,
  field: string,
  { max = 200, required = true }: { max?: number; required?: boolean } = {},
): FieldViolation | undefined {
  if ((required && value.trim() === "") || value.length > max || hasControlCharacters(value))
    return {
      field,
      description: `${required ? "required, " : ""}at most ${max} characters, no control characters`,
      reason: "INVALID_TEXT",
    };
  return undefined;
}
