// The contracts between services: the messages and their streams (messages.ts) and one decoder per message
// (decode.ts), each failing with the one MalformedMessageError.

export {
  decodeAgentInputMessage,
  decodeCallInputMessage,
  decodeEventMessage,
  decodeLegCommandMessage,
  decodeTimerMessage,
  MalformedMessageError,
} from "./decode.js";
export * from "./messages.js";
export { hasControlCharacters } from "./text.js";
