import type { ContactCentreIssue } from "./errors.js";
import { describe, join } from "./fields.js";

export { join };

export type Fields = Readonly<Record<string, unknown>>;

/**
 * Reads untyped YAML values while collecting every problem (never stopping at the first), each with the
 * path it was found at. Getters return undefined when the value is missing or wrong; the issue is recorded.
 */
export class Checker {
  readonly issues: ContactCentreIssue[] = [];
  constructor(readonly file: string) {}

  problem(path: string, reason: string): void {
    this.issues.push({ file: this.file, path, reason });
  }

  mapping(value: unknown, path: string, allowed?: readonly string[]): Fields | undefined {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      this.problem(path, `must be a mapping, got ${describe(value)}`);
      return undefined;
    }
    const fields = value as Fields;
    if (allowed) {
      for (const key of Object.keys(fields)) {
        if (!allowed.includes(key))
          this.problem(join(path, key), `unknown field (expected one of: ${allowed.join(", ")})`);
      }
    }
    return fields;
  }

  /** Reads a required field with `read`; a missing one is an "is required" issue. */
  required<T>(
    fields: Fields,
    key: string,
    path: string,
    read: (value: unknown, path: string) => T | undefined,
  ): T | undefined {
    const value = fields[key];
    if (value === undefined || value === null) {
      this.problem(join(path, key), "is required");
      return undefined;
    }
    return read(value, join(path, key));
  }

  list(value: unknown, path: string): readonly unknown[] | undefined {
    if (!Array.isArray(value)) {
      this.problem(path, `must be a list, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  string(fields: Fields, key: string, path: string, required: true): string | undefined;
  string(fields: Fields, key: string, path: string, required?: false): string | undefined;
  string(fields: Fields, key: string, path: string, required = false): string | undefined {
    const value = fields[key];
    if (value === undefined || value === null) {
      if (required) this.problem(join(path, key), "is required");
      return undefined;
    }
    if (typeof value !== "string" || value === "") {
      this.problem(join(path, key), `must be a non-empty string, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  boolean(fields: Fields, key: string, path: string): boolean | undefined {
    const value = fields[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") {
      this.problem(join(path, key), `must be true or false, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  /** A number of seconds or a count; `min` is inclusive. */
  number(
    fields: Fields,
    key: string,
    path: string,
    options: { required?: boolean; integer?: boolean; min?: number; positive?: boolean } = {},
  ): number | undefined {
    const value = fields[key];
    if (value === undefined || value === null) {
      if (options.required) this.problem(join(path, key), "is required");
      return undefined;
    }
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.problem(join(path, key), `must be a number, got ${describe(value)}`);
      return undefined;
    }
    if (options.integer && !Number.isInteger(value)) {
      this.problem(join(path, key), `must be a whole number, got ${value}`);
      return undefined;
    }
    if (options.positive && !(value > 0)) {
      this.problem(join(path, key), `must be greater than 0, got ${value}`);
      return undefined;
    }
    if (options.min !== undefined && value < options.min) {
      this.problem(join(path, key), `must be ${options.min} or more, got ${value}`);
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(
    fields: Fields,
    key: string,
    path: string,
    choices: Readonly<Record<string, T>>,
    required = false,
  ): T | undefined {
    const value = this.string(fields, key, path, required as false);
    if (value === undefined) return undefined;
    const choice = choices[value];
    if (choice === undefined) {
      this.problem(
        join(path, key),
        `unknown value "${value}" (expected one of: ${Object.keys(choices).join(", ")})`,
      );
    }
    return choice;
  }
}
