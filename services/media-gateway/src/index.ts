export * from "./drachtio/index.js";
export type {
  AgentTransferEvent,
  DriverEvent,
  DriverEventType,
  MediaDriver,
  OriginateRequest,
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
  hasSimulationControls,
  type MediaLogEntry,
  type MediaLogKind,
  type SimulationControls,
} from "./simulation-controls.js";
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
