// Test support for the routing domain's deciders (given/when/then), for this package's tests and adapters'
// tests: `@switchyard/routing-domain/testing`. Not part of the domain's public API.
export * from "./call-spec.js";
export * from "./given-when-then.js";
