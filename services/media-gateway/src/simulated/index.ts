export {
  contactKey,
  type DtmfScript,
  defaultPlaybackDuration,
  type InboundCallScript,
  type PhoneAttempt,
  type PhoneBehaviour,
  type PhoneScript,
  type PlaybackDuration,
  type ScriptedTransfer,
} from "../simulation-controls.js";
export {
  CallRefusedError,
  type ChannelStatus,
  type ChannelView,
  SimulatedDriver,
  type SimulatedDriverOptions,
} from "./simulated-driver.js";
