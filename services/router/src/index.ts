export { eventIdFor, uuidFrom } from "@switchyard/event-store";
export { decodeCallInput, decodeTimer, MalformedMessageError } from "./decode.js";
export { type Router, type RouterConfig, type RouterLog, type RouterStats, start } from "./router.js";
