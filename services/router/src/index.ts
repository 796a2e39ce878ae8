export { eventIdFor, uuidFrom } from "@switchyard/event-store";
// For the performance report: the router's own path for large groups (decision cost by group size).
export { GroupMemberIndex } from "./member-index.js";
export { INDEXED_GROUP_SIZE } from "./presence-view.js";
export { type Router, type RouterConfig, type RouterLog, type RouterStats, start } from "./router.js";
