export * from "./errors.js";
export * from "./runtime.js";
