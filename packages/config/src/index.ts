export * from "./errors.js";
export * from "./read.js";
export * from "./redact.js";
export * from "./runtime.js";
export * from "./sip.js";
export * from "./tuning.js";
