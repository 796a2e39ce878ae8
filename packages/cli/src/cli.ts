import { ADMIN_USAGE, isAdminCommand } from "./admin-usage.js";
import type { CliContext } from "./context.js";

// Each command imports what it runs when it runs: the platform's packages take seconds to load (OpenTelemetry,
// gRPC, drachtio, PGlite), which `help`, a configuration error or an admin command need none of.

export type { CliContext } from "./context.js";

const USAGE = `usage: switchyard <command> [options]

commands:
  run     run services: --target all|router|agent-presence|media-gateway|admin-api|relay (comma-separated)
  demo      the platform on embedded defaults running the demo contact centre on simulated calls
  simulate  the same on any contact centre: --config FILE [--traffic FILE]
  setup     with admin NATS credentials: create the JetStream streams and key-value buckets (once per
            deployment and after upgrades); services then run with least-privilege credentials
  nats-config  print a nats-server configuration with one least-privilege user per service
            [--listen H:P] [--store-dir DIR] [--gateway-id a,b] [--no-sync-always for nats-server 2.9]
            [--accounts-only | --base FILE (append the accounts to your own server config)] [--out FILE];
            passwords come from nats-server's environment (SWITCHYARD_NATS_<ROLE>_PASSWORD); each service
            connects with its own user in its NATS_URL (nats://sy_router:PASSWORD@host:4222)
  chaos     fault injection: a private PostgreSQL and nats-server, every service as its own process, seeded
            traffic and a seeded fault schedule (kills, SIGSTOP past the ack wait, nats and PostgreSQL restarts),
            then the invariant checker over the event log; exit 1 on any violation
            --seed S [--routers 3] [--minutes 1] [--calls-per-minute 60] [--agents-per-group 4] [--faults N]
            [--hold-sec MIN,MAX] [--router-kill-every S]
  check     the invariant checker against a deployment, read-only: --database-url (and --database-schema) for the
            event log, --nats-url (and --prefix) to compare JetStream EVENTS with it; prints each violation with
            its stream ids, exit 1 on any. Meant for a quiesced deployment: calls still in progress count as
            stuck. [--settle S] how long the relay may take to publish the log's last events (default 10)
  extract   a recorded period of a deployment as a traffic file, read-only: --from ISO --to ISO
            (--database-url URL | --data-dir DIR) [--out FILE]: arrivals, IVR digits, talk times, patience
            (observed, or a lower bound), agents' sign-in timeline and fitted answer delay and miss rates, and
            the configuration the calls were routed with
  whatif    re-run a recorded period on embedded defaults under the recorded configuration (baseline) and
            under variants, and compare: (--traffic DAY.yaml | --from ISO --to ISO (--database-url | --data-dir))
            [--variant FILE]... (YAML: groups: {sales: {strategy: longest-idle, addAgents: 2, ringTimeoutSec: 15}},
            agents: {...}, account: {...}, flows: {main: {applets: {sales: {ringTimeoutSec: 15, branches: {...}}}}}
            or flows: [whole flows, as in the contact-centre file], numbers: {"+4420...": flow-id})
            [--set groups.sales.strategy=longest-idle]...
            [--set flows.main.applets.sales.ringTimeoutSec=15]... (all --set: one variant)
            [--html FILE] (self-contained report with charts) [--json-out FILE] [--progress]
            [--store memory|pglite] (where the re-runs keep their events: this process's memory, the
            default and fastest, or an in-memory PGlite database, to re-run on the SQL back end)
  help      this text

options (flags win over environment, which wins over the --config YAML file):
  --config FILE          YAML configuration (SWITCHYARD_CONFIG)
  --database-url URL     PostgreSQL (DATABASE_URL); absent: embedded PGlite
  --data-dir DIR         PGlite data directory (SWITCHYARD_DATA_DIR); absent: in memory
  --database-schema S    schema for the event store (DATABASE_SCHEMA), default public
  --nats-url URL         NATS with JetStream (NATS_URL); absent: a private nats-server child process
  --prefix P             JetStream stream/subject prefix (SWITCHYARD_PREFIX), default sy
  --health-listen H:P    serve /livez and /readyz (database, NATS, consumers) on it (SWITCHYARD_HEALTH_LISTEN)
  --shutdown-timeout S   on SIGTERM: not ready at once, services drain, exit within S s, default 25
                         (SWITCHYARD_SHUTDOWN_TIMEOUT)
  --drain-timeout S      on SIGTERM the media gateway refuses new calls and lets calls up finish for S s,
                         then hangs up the rest; default shutdown timeout - 5 (SWITCHYARD_DRAIN_TIMEOUT)
  --log-format F         text (default) or json: pino lines with service, trace id, call id (SWITCHYARD_LOG_FORMAT)
  --log-level L          json logs' level, default info; debug adds a line per call decision (SWITCHYARD_LOG_LEVEL)
  --gateway-id ID        the media gateway's id, and where routers send leg commands by default
                         (SWITCHYARD_GATEWAY_ID), default "default"
  --router-ack-wait-ms N a router's unacked input goes to another replica after N ms (SWITCHYARD_ROUTER_ACK_WAIT_MS)
  --relay-batch-size N, --relay-poll-ms N, --relay-xmin-warn-ms N
                         relay tuning (SWITCHYARD_RELAY_BATCH_SIZE, _POLL_MS, _XMIN_WARN_MS)
  --clock-speed X [--clock-start-at MS --clock-real-start MS]
                         a scaled platform clock shared by several processes of one simulation or test
                         (SWITCHYARD_CLOCK_SPEED, _START_AT, _REAL_START); never in production

telemetry (OpenTelemetry, off unless configured): the standard OTEL_* variables, e.g.
  OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318 [OTEL_SERVICE_NAME=...] exports traces and metrics

SIP media gateway (yaml section sip; without it the gateway runs the simulated driver):
  --drachtio HOST:PORT   connect to drachtio-server's admin port (SWITCHYARD_DRACHTIO)
  --drachtio-listen PORT or let drachtio-server connect to this port (SWITCHYARD_DRACHTIO_LISTEN)
  --drachtio-secret S    (SWITCHYARD_DRACHTIO_SECRET), default cymru
  --freeswitch HOST:PORT FreeSWITCH event socket (SWITCHYARD_FREESWITCH), default 127.0.0.1:8021
  --freeswitch-password P  (SWITCHYARD_FREESWITCH_PASSWORD), default ClueCon
  --sip-domain D         domain of caller-id URIs (SWITCHYARD_SIP_DOMAIN)
  --outbound-gateway H:P where phone-number contacts are sent
  --media-dir DIR        TTS cache, recordings, voicemail (SWITCHYARD_MEDIA_DIR)
  yaml only: sip.trunks (who may call in, by source address/CIDR; perSource caps), sip.phones (agent phones, SIP digest;
    password or passwordEnv), sip.digest {realm, algorithm, sources}, sip.admission {maxCalls,
    maxCallsPerSec, perSource {maxCalls, maxCallsPerSec}, maxSources}, sip.agentOffer (late|early),
    sip.mediaRelease (off|afterBridge), sip.endpointsInFlight (see the media gateway README)

demo and simulate:
  --traffic FILE         simulated traffic YAML (default: the config's traffic section; demo: examples/traffic.yaml)
  --minutes N            simulated period in minutes (overrides the traffic file)
  (default: exact simulated time on a virtual clock that jumps to the next timer, arrival or phone action
   whenever the platform is idle: as fast as the platform decides, the same results on any machine or load)
  --live                 run on a wall clock scaled by --speed instead, to watch it live
  --speed X              with --live (implies it): simulated seconds per real second (default 60)
  --start-at ISO         simulated start time (default: now)
  --calls-out FILE       write each call's outcome (events, agents, times from the start) and the figures as JSON
  --seed S               seed of the traffic model (same seed, same callers)
  --max-timer-lateness S simulated seconds a timer may fire late before the run is reported DISTORTED
                         (exit 3; with --live: the machine could not keep up with --speed), default 10
  --trace-summary        without OTEL_* configured: trace in memory and print each call's spans (count,
                         duration) and the span trees of a few calls at the end`;

/** Runs one command; returns the process exit code. Every failure is one line on stderr. */
export async function runCli(ctx: CliContext): Promise<number> {
  try {
    switch (ctx.command) {
      case "help":
      case "--help":
        ctx.out(`${USAGE}\n\n${ADMIN_USAGE}`);
        return 0;
      case "run":
        return await (await import("./run-command.js")).runServices(ctx);
      case "setup":
        return await (await import("./setup.js")).runSetup(ctx);
      case "nats-config":
        return (await import("./setup.js")).runNatsConfig(ctx);
      case "demo":
        return await (await import("./demo.js")).runDemo(ctx);
      case "chaos":
        return await (await import("./chaos.js")).runChaosCommand(ctx);
      case "check":
        return await (await import("./check.js")).runCheck(ctx);
      case "simulate":
        return await (await import("./demo.js")).runSimulate(ctx);
      case "extract":
        return await (await import("./whatif.js")).runExtract(ctx);
      case "whatif":
        return await (await import("./whatif.js")).runWhatIf(ctx);
      default:
        if (isAdminCommand(ctx.command))
          return await (await import("./admin-commands.js")).runAdminCommand(ctx, ctx.args ?? []);
        ctx.err(`switchyard: unknown command "${ctx.command}" (try: switchyard help)`);
        return 2;
    }
  } catch (error) {
    if (isConfigFileError(error)) {
      // Every problem on its own line, `file:path: reason`; nothing was started.
      const what = error.name === "TrafficConfigError" ? "traffic" : "contact centre";
      const n = error.issues.length;
      ctx.err(
        `switchyard: invalid ${what} configuration (${n} error${n === 1 ? "" : "s"}), nothing started:`,
      );
      for (const line of error.message.split("\n")) ctx.err(`  ${line}`);
      return 2;
    }
    ctx.err(`switchyard: ${oneLine(error)}`);
    if (ctx.env.SWITCHYARD_DEBUG && error instanceof Error && error.stack) ctx.err(error.stack);
    return exitStatusOf(error);
  }
}

/**
 * Failures of what the user gave (exit status 2), by name: matching by class would load every package that
 * defines one. Each is the error class of its package (config, chaos, the CLI's commands, what-if variants).
 */
const USAGE_ERRORS: ReadonlySet<string> = new Set([
  "ConfigError",
  "MissingConfigFileError",
  "ChaosOptionsError",
  "UsageError",
  "WhatIfUsageError",
  "VariantError",
]);

/** 2 for a failure of what the user gave (a usage error), 1 for anything else. */
export function exitStatusOf(error: unknown): 1 | 2 {
  return error instanceof Error && (USAGE_ERRORS.has(error.name) || isConfigFileError(error)) ? 2 : 1;
}

/** A contact-centre or traffic file with problems: ContactCentreConfigError, TrafficConfigError. */
function isConfigFileError(error: unknown): error is Error & { readonly issues: readonly unknown[] } {
  return (
    error instanceof Error &&
    (error.name === "ContactCentreConfigError" || error.name === "TrafficConfigError") &&
    Array.isArray((error as { issues?: unknown }).issues)
  );
}

/** The message a user needs, on one line: the error's own message, and its cause's when it adds to it. */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : "";
  const text = cause && !message.includes(cause) ? `${message}: ${cause}` : message;
  return text.replace(/\s*\n\s*/g, " ").trim();
}
