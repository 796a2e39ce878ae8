import { consoleLog, type ServiceLog, type ServiceLogLevel } from "@switchyard/telemetry";

export type RouterLogLevel = ServiceLogLevel;
export type RouterLog = ServiceLog;

export const describe = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

export const defaultLog: RouterLog = consoleLog({ quiet: true });
