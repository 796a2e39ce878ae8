// Reading YAML and other untyped configuration with zod schemas: every problem at once, each at the path it
// is about (`groups[1].members[2]`, `sip.trunks[0].name`), and the valid part of an invalid item kept so a
// mistake is reported once. Used by this package (the runtime file, SIP section, knobs) and by
// @switchyard/contact-centre (the contact-centre sections).
import { type ZodType, z } from "zod";

/** One problem, at its path inside the file. */
export interface Problem {
  readonly path: string;
  readonly reason: string;
}

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** `groups[1]` + `members` → `groups[1].members`; odd keys are quoted: `numbers["+44 20"]`. */
export function join(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const part = PLAIN_KEY.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (base === "") return part;
  return part.startsWith("[") ? `${base}${part}` : `${base}.${part}`;
}

export const describe = (value: unknown): string => {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${JSON.stringify(value)}`;
};

export const isMapping = (value: unknown): value is Readonly<Record<string, unknown>> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** zod's issues as problems under `base`; an unknown-fields issue becomes one problem a field, listed first. */
export function problemsOf(error: z.ZodError, base: string): Problem[] {
  const at = (path: readonly PropertyKey[]) =>
    path.reduce<string>((p, key) => join(p, typeof key === "number" ? key : String(key)), base);
  const unknown: Problem[] = [];
  const other: Problem[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys")
      for (const key of issue.keys) unknown.push({ path: at([...issue.path, key]), reason: issue.message });
    else other.push({ path: at(issue.path), reason: issue.message });
  }
  return [...unknown, ...other];
}

/**
 * Reads one item of the file (an agent, a group, an applet…) with its schema: every problem goes to
 * `problems`, and the fields that are valid are returned even when others are not, so one mistake is
 * reported once and not again by the checks that use the item's id or its other fields. A field that is a
 * mapping of free keys keeps its valid entries. Undefined when the item is not a mapping at all.
 */
export function readItem<S extends z.core.$ZodLooseShape>(
  schema: z.ZodObject<S>,
  value: unknown,
  path: string,
  problems: Problem[],
): Partial<z.output<z.ZodObject<S>>> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  problems.push(...problemsOf(result.error, path));
  if (!isMapping(value)) return undefined;
  const fields: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape) as Array<[string, ZodType]>) {
    const one = field.safeParse(value[key]);
    if (one.success) fields[key] = one.data;
    else {
      const inner = field instanceof z.ZodOptional || field instanceof z.ZodNullable ? field.unwrap() : field;
      const raw = value[key];
      if (inner instanceof z.ZodRecord && isMapping(raw)) {
        // A mapping of free keys: the entries that are valid (the others were reported above).
        const valid = inner.valueType as ZodType;
        fields[key] = Object.fromEntries(Object.entries(raw).filter(([, v]) => valid.safeParse(v).success));
      }
    }
  }
  return fields as Partial<z.output<z.ZodObject<S>>>;
}

/** Reads a value that is not an item (a section's list, a nested setting): its value, or undefined. */
export function read<T extends ZodType>(
  schema: T,
  value: unknown,
  path: string,
  problems: Problem[],
): z.output<T> | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  problems.push(...problemsOf(result.error, path));
  return undefined;
}
