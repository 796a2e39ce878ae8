export {
  contactKey,
  type DtmfScript,
  defaultPlaybackDuration,
  type InboundCallScript,
  type PhoneAttempt,
  type PhoneBehaviour,
  type PhoneScript,
  type PlaybackDuration,
} from "./scripts.js";
export {
  CallRefusedError,
  type ChannelStatus,
  type ChannelView,
  type MediaLogEntry,
  type MediaLogKind,
  SimulatedDriver,
  type SimulatedDriverOptions,
} from "./simulated-driver.js";
