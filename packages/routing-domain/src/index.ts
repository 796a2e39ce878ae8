// The routing domain's public API, by name: what services, adapters and the CLI may use. Decider internals
// (transfer steps, applet modules, the decision builder) stay inside; test support is the ./testing subpath.
// The account's external legs (toll-fraud caps)
export {
  type ActiveExternalLeg,
  decideExternalLegs,
  EMPTY_EXTERNAL_LEGS,
  EXTERNAL_LEG_MAX_AGE_MS,
  EXTERNAL_LEGS_STREAM,
  ExternalLegLimitError,
  type ExternalLegLimits,
  type ExternalLegsCommand,
  type ExternalLegsEvent,
  type ExternalLegsState,
  evolveExternalLegs,
  externalLegKey,
  usedSecondsThisHour,
} from "./account/external-legs.js";
// Agents and presence
export {
  AgentBusyError,
  type AgentCommand,
  type AgentEvent,
  AgentInCooldownError,
  type AgentState,
  type AgentStatus,
  AgentUnavailableError,
  agentDecider,
  agentIdOfStream,
  agentStreamId,
  BUSY_STATUSES,
  callsInPeriod,
  decideAgent,
  evolveAgent,
  INITIAL_AGENT,
  InvalidAgentTransitionError,
  idleSeconds,
  inCooldown,
  isOfferable,
  MISSED_OFFERS_BREAK,
  type PresenceEntry,
  type PresenceView,
  StaleAgentCommandError,
} from "./agent/agent.js";
// The call (process manager), its media effects, transfers
export {
  callDecider,
  decideCall,
} from "./call/decide.js";
export {
  CallAlreadyStartedError,
  CallNotFoundError,
  CallNotQueuedError,
  NoAgentForQueueOfferError,
  NoConnectedAgentError,
  TransferInProgressError,
  TransferNotFoundError,
} from "./call/errors.js";
export {
  evolveCall,
  foldCall,
} from "./call/evolve.js";
export {
  type LegCommand,
  legCommandOf,
  legCommandsFrom,
} from "./call/media.js";
export {
  compareDecision,
  type DecisionDifference,
  type DecisionReads,
  type RecordedDecisionInput,
  recordingContext,
} from "./call/replay.js";
export {
  type LogEvent,
  ReadNotInLogError,
  type ReplayedDecisionOutcome,
  ReplayLog,
  type ReplayResult,
  replayCallDecisions,
  type StoredDecision,
  storedDecisions,
  streamsReadBy,
} from "./call/replay-log.js";
export {
  type AppletRun,
  type CallbackRun,
  type CallCommand,
  type CallCommandType,
  type CallDecision,
  type CallEvent,
  type CallEventType,
  type CallerIdChoice,
  type CallState,
  type ConnectRun,
  callIdOfStream,
  callStreamId,
  type DecisionContext,
  INITIAL_CALL,
  type LegEndReason,
  type LegFailure,
  type LegInfo,
  type LegRole,
  type PassingRun,
  type RingPlan,
  type RoutingDecision,
  type StreamWrite,
  type TimerKind,
  type TransferRun,
  type TransferTarget,
} from "./call/types.js";
export {
  agentsHeldBy,
  decisionWrites,
} from "./call/writes.js";
// Configuration (event-sourced, versioned)
export type { ConfigCommand } from "./config/commands.js";
export {
  buildConfig,
  CONFIG_STREAM,
  ConfigInUseError,
  configDecider,
  decideConfig,
  evolveConfig,
  InvalidSettingError,
  UnknownAgentError,
  UnknownFlowError,
  UnknownGroupError,
  UnknownNumberError,
} from "./config/decider.js";
export type { ConfigEvent } from "./config/events.js";
export {
  type AccountSettings,
  type AgentConfig,
  type CallbackSettings,
  type ConfigSnapshot,
  DEFAULT_ACCOUNT,
  DEFAULT_MISSED_OFFERS,
  DEFAULT_QUEUE,
  EMPTY_CONFIG,
  type GroupConfig,
  groupsOf,
  type MissedOfferPolicy,
  missedOfferPolicy,
  type NumberConfig,
  type QueueSettings,
  STRATEGIES,
  type Strategy,
} from "./config/snapshot.js";
// Flows
export {
  type Applet,
  type AppletKind,
  branchFor,
  type CallerIdOption,
  type ConnectApplet,
  type ConnectBranches,
  type ConnectOutcome,
  type ConnectTarget,
  FALLBACK_OUTCOMES,
  type FallbackOutcome,
  type Flow,
  type GreetingApplet,
  type HangupApplet,
  type IvrMenuApplet,
  type OpeningRule,
  QUEUE_OUTCOME_FALLS_BACK_TO,
  type RecordOption,
  type TimeConditionApplet,
  type VoicemailApplet,
  type Weekday,
} from "./flow/model.js";
export {
  appletAudio,
  appletEdges,
  type ConfigWarning,
  configWarnings,
  type FlowIssue,
  type FlowIssueCode,
  type FlowValidationContext,
  FlowValidationError,
  validateFlow,
} from "./flow/validate.js";
// Queues
export {
  decideQueue,
  EMPTY_QUEUE,
  evolveQueue,
  expectedWaitSec,
  matchWaitingCallers,
  nextCallerFor,
  positionAnnouncement,
  positionOf,
  type QueueCommand,
  type QueueEntry,
  type QueueEvent,
  QueueFullError,
  type QueueLeaveReason,
  type QueueOffer,
  type QueuePace,
  type QueueState,
  type QueueView,
  type QueueViewEntry,
  queueDecider,
  queueStreamId,
} from "./queue/queue.js";
export {
  type Audio,
  type Contact,
  DEFAULT_HOLD_MUSIC,
} from "./shared/audio.js";
export {
  assertDialPolicy,
  capsExternalLegs,
  type DialPolicy,
  dialRefusal,
  InvalidDialPolicyError,
} from "./shared/dial-policy.js";
export { RoutingDomainError } from "./shared/errors.js";
export {
  fnv1a,
  tieBreakHash,
} from "./shared/hash.js";
export {
  type CallsPeriod,
  periodKey,
} from "./shared/period.js";
export {
  assertE164,
  assertSipUri,
  assertTimeZone,
  InvalidPhoneNumberError,
  InvalidSipUriError,
  InvalidTimeZoneError,
  isE164,
  isSipUri,
  isTimeZone,
} from "./shared/validation.js";
// Strategies and group state
export {
  evolveGroup,
  type GroupEvent,
  type GroupRuntimeState,
  type GroupView,
  type GroupViewEntry,
  groupStreamId,
} from "./strategies/group-state.js";
export {
  type IndexedStrategyInput,
  type MemberIndex,
  selectIndexed,
} from "./strategies/indexed.js";
export {
  kebabCase,
  STRATEGY_MODULES,
  STRATEGY_SPELLINGS,
  snakeCase,
  strategyModule,
} from "./strategies/registry.js";
export {
  type CandidateReport,
  type MemberSnapshot,
  memberSnapshots,
  rankTies,
  type SequentialProgress,
  type StrategyInput,
  type StrategyResult,
  selectAgents,
  TIE_RANKED_LIMIT,
  type TieBreak,
} from "./strategies/strategies.js";
export {
  defineStrategy,
  type IndexedSelectionInput,
  type Selection,
  type SelectionInput,
  type StrategyModule,
} from "./strategies/strategy.js";
