import { agentDecider } from "../agent/agent.js";
import { callDecider } from "../call/decide.js";
import type { CallDecision } from "../call/types.js";
import { configDecider } from "../config/decider.js";
import { queueDecider } from "../queue/queue.js";
import { spec } from "./given-when-then.js";

/** given(callEvents, context).when(callCommand).then(callEvents | ErrorClass); compares the call stream's events. */
export const callSpec = spec(callDecider, (d: CallDecision) => d.call.events);
export const configSpec = spec(configDecider);
export const agentSpec = spec(agentDecider);
export const queueSpec = spec(queueDecider);
