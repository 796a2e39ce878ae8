import { redactUrl } from "@switchyard/config";

export { redactUrl };

/** host:port/database of a postgres URL, for messages. Never includes credentials. */
export function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get("host") || "localhost";
    const port = parsed.port || "5432";
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || parsed.username || "postgres";
    return `${host}:${port}/${database}`;
  } catch {
    return redactUrl(url);
  }
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Schema names go into SQL and connection options unquoted, so only plain identifiers are allowed. */
export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new TypeError(`invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits, _`);
  }
}
