export * from "./errors.js";
export * from "./runtime.js";
export * from "./sip.js";
