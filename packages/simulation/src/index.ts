export * from "./call-records.js";
export * from "./compare.js";
export * from "./distributions.js";
export * from "./extract.js";
export * from "./report.js";
export * from "./statistics.js";
export * from "./traffic.js";
export * from "./variant.js";
