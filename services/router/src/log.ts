export type RouterLogLevel = "debug" | "info" | "warn" | "error";
export type RouterLog = (
  level: RouterLogLevel,
  message: string,
  fields?: Readonly<Record<string, unknown>>,
) => void;

export const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

export const defaultLog: RouterLog = (level, message, fields) => {
  if (level === "debug" || level === "info") return;
  console.error(JSON.stringify({ level, msg: message, ...fields }));
};
