#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so the CLI works from a fresh clone without a build step.
import { registerInstrumentationHooks } from "@switchyard/telemetry/loader-hooks";
import { register } from "tsx/esm/api";

// Before anything of the platform loads: lets OpenTelemetry's pg and grpc-js instrumentations patch those
// packages although they are imported as ES modules before the SDK starts (a no-op unless it starts).
registerInstrumentationHooks();
register();
await import("../src/main.ts");
