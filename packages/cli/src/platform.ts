import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Bus,
  connectBus,
  deadLetterStreamSpec,
  eventsStreamSpec,
  type NatsServer,
  startNatsServer,
} from "@switchyard/bus";
import {
  type Clock,
  isVirtualClock,
  type LocalQuiescenceProbe,
  scaledClock,
  systemClock,
} from "@switchyard/clock";
import {
  ConfigError,
  DEFAULT_GATEWAY_ID,
  type RuntimeConfig,
  redactUrl,
  type SipConfig,
  type Target,
} from "@switchyard/config";
import { type EventStoreHandle, openEventStore, openMemoryEventStore } from "@switchyard/event-store";
import type { DrachtioDriver, DrainReport, MediaGateway, StoredAudioSource } from "@switchyard/media-gateway";
import type { TransferTarget } from "@switchyard/routing-domain";
import { type Logger, serviceLog } from "@switchyard/telemetry";
import { Disposer, Together } from "./disposer.js";

export interface Platform extends AsyncDisposable {
  readonly eventStore: EventStoreHandle;
  readonly bus: Bus;
  readonly natsUrl: string;
  /** The one platform clock every service of this process runs on. */
  readonly clock: Clock;
  readonly started: readonly Target[];
  /** Targets asked for that this build does not have yet. */
  readonly missing: readonly Target[];
  describe(): string[];
  /**
   * The first step of a graceful shutdown, before dispose: the media gateway (when this process runs one)
   * refuses new calls and lets the calls up finish for `deadlineMs`, then hangs up the rest, while every
   * other service of the process keeps running for them. Resolves with its report (none without a gateway).
   */
  drain(deadlineMs: number): Promise<DrainReport | undefined>;
}

type Log = (line: string) => void;

/** Where routers send leg commands unless a call's inbound fact named another gateway. */
export { DEFAULT_GATEWAY_ID };

/** Why a target does not run under `switchyard run` yet. */
const NOT_BUILT: Partial<Record<Target, string>> = {};

/**
 * Starts the asked-for services in this process over one event store and one NATS connection. Adapters are
 * opened here (services never open their own) so that `--target all` shares them.
 */
export async function startPlatform(
  config: RuntimeConfig,
  options: {
    log: Log;
    clock?: Clock;
    /** The command's flags and environment (the admin API reads its own settings from them). */
    flags?: Readonly<Record<string, string | boolean | undefined>>;
    env?: Readonly<Record<string, string | undefined>>;
    /**
     * Structured JSON logs (pino): every service logs through a child with its `service` field, at the
     * logger's level, with the active trace id. Without it warnings and errors go to `log` as lines.
     */
    logger?: Logger;
    /**
     * Keep the events in this process's memory instead of the configured database (the in-memory back
     * end): for throwaway runs that need no durability, such as what-if re-runs. Refused with a database URL
     * or a data directory, which would then be silently unused.
     */
    memoryStore?: boolean;
  },
): Promise<Platform> {
  const { log } = options;
  // The configured shared clock (several processes of one simulation or test agree on platform time).
  const shared = config.services.clock;
  const clock = options.clock ?? (shared ? scaledClock(shared) : systemClock);
  const { gatewayId } = config.services;
  const json = (service: string) =>
    options.logger ? serviceLog(options.logger.child({ service })) : undefined;
  const stack = new Disposer();
  try {
    let natsUrl = config.natsUrl;
    let embedded: NatsServer | undefined;
    if (natsUrl === undefined) {
      embedded = stack.use(await startNatsServer());
      natsUrl = embedded.url();
    }
    if (options.memoryStore && (config.databaseUrl !== undefined || config.dataDir !== undefined))
      throw new ConfigError("the in-memory event store takes no database url or data directory", [
        {
          source: "flags",
          path: "--database-url/--data-dir",
          reason: "not used by the in-memory event store",
        },
      ]);
    const eventStore: EventStoreHandle = options.memoryStore
      ? openMemoryEventStore({ schema: config.databaseSchema, now: () => new Date(clock.now()) })
      : await starting(
          log,
          "event store (connect, migrate)",
          openEventStore({
            ...(config.databaseUrl === undefined ? {} : { url: config.databaseUrl }),
            schema: config.databaseSchema,
            ...(config.dataDir === undefined ? {} : { pglite: { dataDir: config.dataDir } }),
          }),
        );
    stack.defer(() => eventStore.close());
    // SWITCHYARD_STREAM_REPLICAS: 3 on a three-node JetStream cluster (the Helm chart's NATS sets it).
    const replicas = Number(options.env?.SWITCHYARD_STREAM_REPLICAS ?? "1");
    if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
      throw new ConfigError(
        `SWITCHYARD_STREAM_REPLICAS must be 1 to 5, not ${options.env?.SWITCHYARD_STREAM_REPLICAS}`,
      );
    const bus = await starting(
      log,
      "NATS connection",
      connectBus({ url: natsUrl, prefix: config.prefix, name: `switchyard-${process.pid}`, replicas }),
    );
    stack.defer(() => bus.close());
    await starting(log, "JetStream streams", bus.ensureStreams([eventsStreamSpec(), deadLetterStreamSpec()]));

    // On a virtual clock, time moves only while no part of the platform holds work in flight (a no-op on
    // any other clock): each part that can hold work registers its probe here.
    const holdTimeWhileBusy = (probe: LocalQuiescenceProbe) => {
      if (isVirtualClock(clock)) stack.defer(clock.addProbe(probe));
    };
    // Nothing of this deployment in flight on the bus (no message pending or unacknowledged on any
    // consumer, no publish unacknowledged, no handler running).
    holdTimeWhileBusy({
      busyHere: () => bus.busyHere(),
      watch: (changed) => bus.onActivity(changed),
      confirm: () => bus.quiescent(),
    });

    // The services stop together (each on its own, none waiting for another), then the bus and the store.
    const services = stack.use(new Together());
    let gateway: MediaGateway | undefined;
    const started: Target[] = [];
    const missing: Target[] = [];
    const notes: string[] = [];
    for (const target of config.targets) {
      switch (target) {
        case "relay": {
          // Each service's package is imported when this process runs it: a router does not load gRPC or
          // drachtio (process start-up is mostly module loading; a restarted replica is back sooner).
          const { start: startRelay } = await import("@switchyard/relay");
          const relay = services.use(
            await starting(
              log,
              "relay",
              startRelay({
                eventStore,
                bus,
                clock,
                ...config.services.relay,
                log:
                  json("relay") ??
                  ((level, message) => {
                    if (level !== "info") log(`relay ${level}: ${message}`);
                  }),
              }),
            ),
          );
          // Every committed event on JetStream.
          holdTimeWhileBusy({
            busyHere: () => relay.busyHere(),
            watch: (changed) => relay.watch(changed),
            confirm: () => relay.caughtUp(),
          });
          started.push(target);
          break;
        }
        case "router": {
          const { start: startRouter } = await import("@switchyard/router");
          services.use(
            await starting(
              log,
              "router",
              startRouter({
                eventStore,
                bus,
                clock,
                gatewayId,
                ...config.services.router,
                log:
                  json("router") ??
                  ((level, message, fields) => {
                    if (level === "warn" || level === "error")
                      log(`router ${level}: ${message} ${JSON.stringify(fields ?? {})}`);
                  }),
              }),
            ),
          );
          started.push(target);
          break;
        }
        case "agent-presence": {
          const { start: startAgentPresence } = await import("@switchyard/agent-presence");
          services.use(
            await starting(
              log,
              "agent-presence",
              startAgentPresence({
                eventStore,
                bus,
                clock,
                log:
                  json("agent-presence") ??
                  ((level, message, fields) => {
                    if (level === "warn" || level === "error")
                      log(`agent-presence ${level}: ${message} ${JSON.stringify(fields ?? {})}`);
                  }),
              }),
            ),
          );
          started.push(target);
          break;
        }
        case "media-gateway": {
          const {
            EventStoreAudioLibrary,
            SimulatedDriver,
            start: startGateway,
            DrachtioDriver,
          } = await import("@switchyard/media-gateway");
          const gatewayLog =
            json("media-gateway") ??
            ((level: string, message: string) => {
              if (level === "error") log(`media-gateway ${level}: ${message}`);
            });
          // Audio files uploaded through the admin API, copied from the event store to a local cache the
          // driver plays from (FreeSWITCH reads the media directory's copy).
          const storedAudio = (cacheDir: string) =>
            new EventStoreAudioLibrary({ store: eventStore.store, blobs: eventStore.blobs, cacheDir });
          if (config.sip) {
            // The SIP driver: calls arrive from drachtio-server, media runs in FreeSWITCH.
            const driver = new DrachtioDriver(
              drachtioOptions(
                config.sip,
                clock,
                log,
                storedAudio(join(config.sip.mediaDir, "cache", "stored")),
              ),
            );
            await driver.start();
            // The gateway first, then its driver.
            const own = services.use(new Disposer());
            own.defer(() => driver.close());
            gateway = own.use(
              await startGateway({
                bus,
                clock,
                driver,
                gatewayId,
                transferTargets: transferTargets(config.sip.transferTargets),
                log: gatewayLog,
              }),
            );
            notes.push(
              `media-gateway "${gatewayId}" runs the DRACHTIO (SIP) driver: ${driver.describe()}, media in ${config.sip.mediaDir}`,
            );
          } else {
            // No SIP configured: every called phone answers after 2 s and stays on until the other side hangs
            // up; inbound calls come from code (demo, simulate, tests) through the driver, not from a network.
            const driver = new SimulatedDriver({
              clock,
              defaultPhone: { kind: "answer", afterSec: 2 },
              storedAudio: storedAudio(
                config.dataDir
                  ? join(config.dataDir, "audio-cache")
                  : join(tmpdir(), `switchyard-audio-${eventStore.schema}`),
              ),
            });
            const own = services.use(new Disposer());
            own.defer(() => driver.close());
            gateway = own.use(await startGateway({ bus, clock, driver, gatewayId, log: gatewayLog }));
            notes.push(
              `media-gateway "${gatewayId}" runs the SIMULATED driver (phones answer after 2 s); configure the sip section or --drachtio for the SIP driver`,
            );
          }
          started.push(target);
          break;
        }
        case "admin-api": {
          // Settings (listen address, tokens, TLS, anonymous access) from flags, environment and the file's
          // `admin` section; anonymous access is announced.
          const {
            authenticator,
            loadAdminSettings,
            start: startAdminApi,
          } = await import("@switchyard/admin-api");
          const settings = loadAdminSettings({
            document: config.document,
            flags: options.flags ?? {},
            env: options.env ?? {},
          });
          const api = services.use(
            await starting(
              log,
              "admin-api",
              startAdminApi({
                eventStore,
                bus,
                clock,
                address: settings.listen,
                credentials: settings.credentials,
                authenticate: authenticator(settings.auth),
                log:
                  json("admin-api") ??
                  ((level, message, fields) => {
                    if (level !== "info")
                      log(`admin-api ${level}: ${message} ${JSON.stringify(fields ?? {})}`);
                  }),
              }),
            ),
          );
          started.push(target);
          notes.push(...settings.describe(api.target));
          break;
        }
        default: {
          const unreachable: never = target;
          throw new Error(`unknown target ${unreachable}`);
        }
      }
    }
    const describe = () => [
      `event store: ${describeStore(eventStore, config)}, schema ${eventStore.schema}`,
      `nats: ${embedded ? `private nats-server at ${natsUrl}` : redactUrl(natsUrl)}, prefix ${config.prefix}`,
      `services up: ${started.join(", ") || "none"}`,
      ...notes,
      ...(missing.length > 0
        ? [`not in this build yet: ${missing.map((t) => `${t} (${NOT_BUILT[t] ?? "not built"})`).join(", ")}`]
        : []),
    ];
    return {
      eventStore,
      bus,
      natsUrl,
      clock,
      started,
      missing,
      describe,
      drain: async (deadlineMs) => gateway?.drain({ deadlineMs }),
      [Symbol.asyncDispose]: () => stack[Symbol.asyncDispose](),
    };
  } catch (error) {
    await stack[Symbol.asyncDispose]().catch(() => undefined);
    throw error;
  }
}

/** The SIP driver's options from the configuration's sip section. */
function drachtioOptions(
  sip: SipConfig,
  clock: Clock,
  log: Log,
  storedAudio?: StoredAudioSource,
): ConstructorParameters<typeof DrachtioDriver>[0] {
  const d = sip.drachtio;
  return {
    clock,
    ...(storedAudio === undefined ? {} : { storedAudio }),
    drachtio:
      d.mode === "connect"
        ? { mode: "connect", host: d.host, port: d.port, secret: d.secret }
        : {
            mode: "listen",
            host: d.host,
            port: d.port,
            secret: d.secret,
            ...(d.routeHandlerPort === undefined ? {} : { routeHandlerPort: d.routeHandlerPort }),
          },
    freeswitch: {
      address: sip.freeswitch.address,
      port: sip.freeswitch.port,
      secret: sip.freeswitch.password,
      listenAddress: sip.freeswitch.listenAddress,
      control: sip.freeswitch.control,
    },
    sipDomain: sip.domain,
    callerIdHeaders: sip.callerIdHeaders,
    trunks: sip.trunks,
    phones: sip.phones,
    allowAnySource: sip.allowAnySource,
    digest: sip.digest,
    ...(sip.outboundGateway === undefined ? {} : { outboundGateway: sip.outboundGateway }),
    mediaDir: sip.mediaDir,
    dtmfTransferCodes: sip.dtmf,
    admission: sip.admission,
    agentOffer: sip.agentOffer,
    mediaRelease: sip.mediaRelease,
    ...(sip.endpointsInFlight === undefined ? {} : { endpointsInFlight: sip.endpointsInFlight }),
    log: (level, message) => {
      if (level !== "info") log(`media-gateway ${level}: ${message}`);
    },
  };
}

/** `"200": "group:support"` → the domain's transfer target. */
export function transferTargets(raw: Readonly<Record<string, string>>): Record<string, TransferTarget> {
  const out: Record<string, TransferTarget> = {};
  for (const [code, text] of Object.entries(raw)) {
    if (text.startsWith("agent:")) out[code] = { kind: "agent", agentId: text.slice(6) };
    else if (text.startsWith("group:")) out[code] = { kind: "group", groupId: text.slice(6) };
    else out[code] = { kind: "number", number: text };
  }
  return out;
}

/**
 * Awaits one start-up step, saying every 10 s which step is still waiting: a dependency that never answers
 * (a database lock, an unreachable JetStream) then names itself instead of hanging start-up silently.
 * A real timer on purpose: this is about the operator's wall clock, not platform time.
 */
async function starting<T>(log: Log, what: string, step: Promise<T>): Promise<T> {
  let waited = 0;
  const timer = setInterval(() => {
    waited += 10;
    log(`start-up: ${what} still starting after ${waited} s`);
  }, 10_000);
  timer.unref();
  try {
    return await step;
  } finally {
    clearInterval(timer);
  }
}

function describeStore(eventStore: EventStoreHandle, config: RuntimeConfig): string {
  switch (eventStore.backend) {
    case "pglite":
      return `PGlite (embedded${config.dataDir ? `, ${config.dataDir}` : ", in memory"})`;
    case "memory":
      return "in this process's memory (nothing kept after the run)";
    case "postgres":
      return `PostgreSQL ${redactUrl(config.databaseUrl ?? "")}`;
    default: {
      const unreachable: never = eventStore.backend;
      return unreachable;
    }
  }
}
