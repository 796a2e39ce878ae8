export { eventIdFor, uuidFrom } from "@switchyard/event-store";
export { type Router, type RouterConfig, type RouterLog, type RouterStats, start } from "./router.js";
