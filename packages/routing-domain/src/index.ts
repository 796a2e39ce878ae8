// Shared value types and validation

// The account's external legs (toll-fraud caps)
export * from "./account/external-legs.js";
// Agents and presence
export * from "./agent/agent.js";
// The call (process manager), its media effects, transfers
export * from "./call/decide.js";
export * from "./call/errors.js";
export * from "./call/evolve.js";
export * from "./call/media.js";
export * from "./call/replay.js";
export * from "./call/replay-log.js";
export * from "./call/types.js";
export * from "./call/writes.js";
// Configuration (event-sourced, versioned)
export * from "./config/commands.js";
export * from "./config/decider.js";
export * from "./config/events.js";
export * from "./config/snapshot.js";
// Flows
export * from "./flow/model.js";
export * from "./flow/validate.js";
// Queues
export * from "./queue/queue.js";
export * from "./shared/audio.js";
export * from "./shared/dial-policy.js";
export * from "./shared/errors.js";
export * from "./shared/hash.js";
export * from "./shared/period.js";
export * from "./shared/validation.js";
// Strategies and group state
export * from "./strategies/group-state.js";
export * from "./strategies/indexed.js";
export * from "./strategies/strategies.js";
export * from "./transfer/transfer.js";
