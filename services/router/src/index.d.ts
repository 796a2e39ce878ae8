export { decodeCallInput, decodeTimer, MalformedMessageError } from "./decode.js";
export { eventIdFor, uuidFrom } from "./ids.js";
export { type Router, type RouterConfig, type RouterLog, type RouterStats, start } from "./router.js";
