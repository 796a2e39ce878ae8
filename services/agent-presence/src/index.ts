export {
  type AgentPresence,
  type AgentPresenceConfig,
  type AgentPresenceStats,
  type PresenceLog,
  start,
  UnknownAgentInputError,
} from "./presence.js";
