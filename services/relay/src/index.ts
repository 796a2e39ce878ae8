export {
  LeadershipLostError,
  type Relay,
  type RelayConfig,
  type RelayLog,
  type RelayLogLevel,
  type RelayStats,
  start,
  toEventMessage,
} from "./relay.js";
