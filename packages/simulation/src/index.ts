export * from "./distributions.js";
export * from "./report.js";
export * from "./statistics.js";
export * from "./traffic.js";
