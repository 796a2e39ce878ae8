// Plain JavaScript on purpose: the `switchyard` binary loads it before it registers tsx, so that the hook is
// in place before any module of the platform is imported.
import { register } from "node:module";

/** The packages the SDK's library instrumentations patch (`libraryInstrumentations()` in sdk.ts). */
export const INSTRUMENTED_MODULES = ["pg", "@grpc/grpc-js"];

/**
 * Registers import-in-the-middle's loader hook (as `@opentelemetry/instrumentation/hook.mjs`) for exactly
 * those packages. They are CommonJS imported from ES modules: Node loads such an import without going
 * through `require`, so require-in-the-middle never sees it, and the platform imports them before the SDK
 * starts. The hook wraps their namespaces as they load, and an instrumentation enabled later patches them
 * (import-in-the-middle replays modules loaded before a hook was added). Nothing else is wrapped.
 */
export function registerInstrumentationHooks() {
  register("@opentelemetry/instrumentation/hook.mjs", import.meta.url, {
    data: { include: INSTRUMENTED_MODULES },
  });
}
