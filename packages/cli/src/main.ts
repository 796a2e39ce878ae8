import { parseArgs } from "node:util";
import { runCli } from "./cli.js";

// Only wiring: arguments, environment, signals and the exit code. Everything else is in cli.ts.
const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  strict: false,
});
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort(signal));
process.exitCode = await runCli({
  command: positionals[0] ?? "run",
  flags: values,
  env: process.env,
  signal: controller.signal,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
// Clients that linger (sockets, timers) must not keep a finished command alive.
setTimeout(() => process.exit(), 2000).unref();
