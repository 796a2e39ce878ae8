export * from "./drachtio/index.js";
export {
  type AgentTransferEvent,
  type DriverEvent,
  type DriverEventType,
  hasSimulationControls,
  type MediaDriver,
  type OriginateRequest,
  type SimulationControls,
} from "./driver.js";
export {
  type DrainOptions,
  type DrainReport,
  type GatewayLog,
  type GatewayLogLevel,
  GatewayStateUnavailableError,
  type GatewayStats,
  type InboundCall,
  InvalidGatewayIdError,
  type MediaGateway,
  type MediaGatewayConfig,
  NotSimulatedError,
  resolveTransferTarget,
  start,
} from "./service.js";
export * from "./simulated/index.js";
export {
  type CommandRecord,
  DEFAULT_COMMAND_TTL_MS,
  type GatewayStateStore,
  gatewayStateBucket,
  type LegTie,
  memoryGatewayState,
  openKvGatewayState,
} from "./state.js";
export {
  EventStoreAudioLibrary,
  type StoredAudioFile,
  type StoredAudioSource,
  StoredAudioUnavailableError,
} from "./stored-audio.js";
