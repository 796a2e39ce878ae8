export * from "./call-records.js";
export * from "./distributions.js";
export * from "./report.js";
export * from "./statistics.js";
export * from "./traffic.js";
