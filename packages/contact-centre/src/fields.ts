// The zod building blocks of the contact-centre file's schema, each reporting in the file's own words
// (`must be a number, got string "30"`, `is required`, `unknown field (expected one of: …)`), and the reader
// that turns zod's issues into `{path, reason}` at the YAML path they are about.
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

const isMapping = (value: unknown): value is Readonly<Record<string, unknown>> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Absent (undefined or, in YAML, an empty value) reads "is required"; anything else `otherwise`. */
const requiredOr =
  (otherwise: (input: unknown) => string) =>
  (issue: { readonly input?: unknown }): string =>
    issue.input === undefined || issue.input === null ? "is required" : otherwise(issue.input);

const nonEmpty = (input: unknown) => `must be a non-empty string, got ${describe(input)}`;

/** A non-empty string; add `.nullish()` where it is optional (an empty YAML value counts as absent). */
export const text = () =>
  z
    .string({ error: requiredOr(nonEmpty) })
    .refine((v) => v !== "", { error: (i) => nonEmpty(i.input), abort: true });

export const flag = () =>
  z.boolean({ error: (i) => `must be true or false, got ${describe(i.input)}` }).nullish();

/** A number of seconds or a count; `min` is inclusive. The first rule broken is the one reported. */
export const count = (rules: { integer?: boolean; min?: number; positive?: boolean } = {}) => {
  let n: ZodType<number> = z.number({ error: requiredOr((v) => `must be a number, got ${describe(v)}`) });
  if (rules.integer)
    n = n.refine(Number.isInteger, { error: (i) => `must be a whole number, got ${i.input}`, abort: true });
  if (rules.positive)
    n = n.refine((v) => v > 0, { error: (i) => `must be greater than 0, got ${i.input}`, abort: true });
  const { min } = rules;
  if (min !== undefined)
    n = n.refine((v) => v >= min, { error: (i) => `must be ${min} or more, got ${i.input}`, abort: true });
  return n;
};

/** One of the names in `choices` (several spellings may name one value), read as that value. */
export const oneOf = <T extends string>(choices: Readonly<Record<string, T>>) =>
  text()
    .refine((v) => Object.hasOwn(choices, v), {
      error: (i) => `unknown value "${i.input}" (expected one of: ${Object.keys(choices).join(", ")})`,
    })
    .transform((v) => choices[v] as T);

/** A list; missing reads "is required" (an empty YAML value is not a list: wrap it in `required` to say so). */
export const list = <T extends ZodType>(item: T) =>
  z.array(item, {
    error: (i) => (i.input === undefined ? "is required" : `must be a list, got ${describe(i.input)}`),
  });

const mappingError = (allowed: readonly string[]) => (issue: { code?: string; input?: unknown }) =>
  issue.code === "unrecognized_keys"
    ? `unknown field (expected one of: ${allowed.join(", ")})`
    : `must be a mapping, got ${describe(issue.input)}`;

/** A mapping with these fields and no others. */
export const mapping = <S extends z.core.$ZodLooseShape>(shape: S) =>
  z.strictObject(shape, { error: mappingError(Object.keys(shape)) });

/** A mapping of free keys (applet ids, digits) to `value`s; a required one reads "is required" when absent. */
export const entries = <T extends ZodType>(value: T) =>
  z.record(z.string(), value, { error: requiredOr((v) => `must be a mapping, got ${describe(v)}`) });

/** A mapping of some of `keys` to `value`s. */
export const someOf = <T extends ZodType>(keys: readonly [string, ...string[]], value: T) =>
  z.partialRecord(z.enum(keys), value, { error: mappingError(keys) });

/**
 * `ifMapping` for a mapping, `otherwise` for anything else, each reporting its own problems (a union would
 * report one line for both: a typo inside `{ custom: … }` would read as "not business or caller").
 */
export const byShape = <A extends ZodType, B extends ZodType>(ifMapping: A, otherwise: B) =>
  z.unknown().transform((value, ctx): z.output<A> | z.output<B> => {
    const result = (isMapping(value) ? ifMapping : otherwise).safeParse(value);
    if (result.success) return result.data as z.output<A> | z.output<B>;
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: value } as never);
    return z.NEVER;
  });

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
