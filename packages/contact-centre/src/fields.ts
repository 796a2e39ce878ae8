// The zod building blocks of the contact-centre file's schema, each reporting in the file's own words
// (`must be a number, got string "30"`, `is required`, `unknown field (expected one of: …)`), and the reader
// that turns zod's issues into `{path, reason}` at the YAML path they are about.
import { describe, isMapping } from "@switchyard/config";
import { type ZodType, z } from "zod";

export { describe, join, type Problem, problemsOf, read, readItem } from "@switchyard/config";

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
