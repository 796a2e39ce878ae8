import { parseArgs } from "node:util";
import { runCli } from "./cli.js";

// Only wiring: arguments, environment, signals and the exit code. Everything else is in cli.ts.
function parse() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        config: { type: "string" },
        target: { type: "string" },
        "database-url": { type: "string" },
        "database-schema": { type: "string" },
        "data-dir": { type: "string" },
        "nats-url": { type: "string" },
        prefix: { type: "string" },
        "log-format": { type: "string" },
        "health-listen": { type: "string" },
        "shutdown-timeout": { type: "string" },
        "drain-timeout": { type: "string" },
        "log-level": { type: "string" },
        "gateway-id": { type: "string" },
        "clock-speed": { type: "string" },
        "clock-start-at": { type: "string" },
        "clock-real-start": { type: "string" },
        "router-ack-wait-ms": { type: "string" },
        "relay-batch-size": { type: "string" },
        "relay-poll-ms": { type: "string" },
        "relay-xmin-warn-ms": { type: "string" },
        listen: { type: "string" },
        "store-dir": { type: "string" },
        "no-sync-always": { type: "boolean" },
        "accounts-only": { type: "boolean" },
        base: { type: "string" },
        out: { type: "string" },
        drachtio: { type: "string" },
        "drachtio-listen": { type: "string" },
        "drachtio-secret": { type: "string" },
        freeswitch: { type: "string" },
        "freeswitch-password": { type: "string" },
        "sip-domain": { type: "string" },
        "outbound-gateway": { type: "string" },
        "media-dir": { type: "string" },
        traffic: { type: "string" },
        minutes: { type: "string" },
        speed: { type: "string" },
        live: { type: "boolean" },
        "start-at": { type: "string" },
        "calls-out": { type: "string" },
        seed: { type: "string" },
        routers: { type: "string" },
        faults: { type: "string" },
        "calls-per-minute": { type: "string" },
        "agents-per-group": { type: "string" },
        "hold-sec": { type: "string" },
        "router-kill-every": { type: "string" },
        settle: { type: "string" },
        "max-timer-lateness": { type: "string" },
        "trace-summary": { type: "boolean" },
        // extract and whatif
        from: { type: "string" },
        to: { type: "string" },
        variant: { type: "string", multiple: true },
        set: { type: "string", multiple: true },
        html: { type: "string" },
        "json-out": { type: "string" },
        progress: { type: "boolean" },
        store: { type: "string" },
        help: { type: "boolean" },
        // admin-api and the admin commands
        "admin-listen": { type: "string" },
        "admin-anonymous": { type: "string" },
        server: { type: "string" },
        token: { type: "string" },
        json: { type: "boolean" },
        watch: { type: "boolean" },
        file: { type: "string", short: "f" },
        role: { type: "string" },
        agent: { type: "string" },
        name: { type: "string" },
        filter: { type: "string" },
        "dry-run": { type: "boolean" },
        purpose: { type: "string" },
        blind: { type: "boolean" },
      },
    });
  } catch (error) {
    process.stderr.write(`switchyard: ${(error as Error).message} (try: switchyard help)\n`);
    process.exit(2);
  }
}

const { values: parsed, positionals } = parse();
// Repeatable flags (--variant, --set) reach the commands as one string, a line per value.
const values = Object.fromEntries(
  Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v.join("\n") : v]),
) as Record<string, string | boolean | undefined>;
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => controller.abort(signal));
process.exitCode = await runCli({
  command: values.help ? "help" : (positionals[0] ?? "run"),
  args: positionals.slice(1),
  flags: values,
  env: process.env,
  signal: controller.signal,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
// Clients that linger (sockets, timers) must not keep a finished command alive.
setTimeout(() => process.exit(), 2000).unref();
