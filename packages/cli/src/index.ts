// For in-process tests of the commands (the binary is bin/switchyard.mjs).
export { type CliContext, runCli } from "./cli.js";
export { startPlatform } from "./platform.js";
export { setUpBus } from "./setup.js";
export { dayFileText } from "./whatif.js";
