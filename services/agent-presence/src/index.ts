export {
  type AgentPresence,
  type AgentPresenceConfig,
  type AgentPresenceStats,
  decodeAgentInput,
  type PresenceLog,
  start,
  UnknownAgentInputError,
} from "./presence.js";
