import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Bus, EVENTS_STREAM } from "@switchyard/bus";
import {
  type Clock,
  isVirtualClock,
  scaledClock,
  seededRandom,
  type VirtualClock,
  virtualClock,
} from "@switchyard/clock";
import { ConfigError, loadRuntimeConfig, type RuntimeConfig } from "@switchyard/config";
import { appendContactCentre, type ContactCentre, loadContactCentre } from "@switchyard/contact-centre";
import {
  type AgentInput,
  type AgentInputMessage,
  agentInputSubject,
  decodeEventMessage,
  type EventMessage,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
} from "@switchyard/contracts";
import { type Checkpoint, type EventStoreHandle, START } from "@switchyard/event-store";
import {
  EventStoreAudioLibrary,
  type MediaGateway,
  SimulatedDriver,
  start as startGateway,
} from "@switchyard/media-gateway";
import { agentIdOfStream, CONFIG_STREAM, MISSED_OFFERS_BREAK } from "@switchyard/routing-domain";
import {
  callRecords,
  defaultTraffic,
  formatProgress,
  formatSummary,
  type LoggedEvent,
  type PhonePlan,
  parseTraffic,
  planCalls,
  planPhones,
  type SimulatedCall,
  type Statistics,
  StatisticsBuilder,
  TrafficConfigError,
  type TrafficModel,
  transferCodes,
} from "@switchyard/simulation";
import {
  formatTraceSummary,
  startTelemetry,
  startTraceCollector,
  telemetryRequested,
} from "@switchyard/telemetry";
import { parseDocument } from "yaml";
import type { CliContext } from "./context.js";
import { Disposer, Together } from "./disposer.js";
import { startPlatform } from "./platform.js";

export interface SimulationOptions {
  /** The contact-centre YAML (agents, groups, numbers, flows; optionally a `traffic` section). */
  readonly configFile: string;
  /** A traffic YAML; absent: the config file's `traffic` section, else Poisson traffic on every number. */
  readonly trafficFile?: string;
  /** Whether `configFile` is also the runtime configuration file (database, nats). */
  readonly runtimeFromConfigFile: boolean;
  readonly title: string;
  /** Time-acceleration factor of `--live` when --speed is not given. */
  readonly defaultSpeed: number;
  /**
   * A run whose timers fired later than the tolerance fails (exit 3): its figures are distorted. The demo,
   * which is for watching, only says so.
   */
  readonly failWhenDistorted: boolean;
}

/**
 * Simulated seconds a durable timer may fire after its due time before a run counts as distorted. Timers
 * fire through JetStream redeliveries whose real-time granularity the scaled clock multiplies (at ×60, 100 ms
 * of real delay is 6 simulated seconds), so the default allows that much and no more.
 */
const DEFAULT_TIMER_TOLERANCE_SEC = 10;

/** The gateway id the simulated media gateway serves (inbound facts name it, so routers answer to it). */
const GATEWAY_ID = "sim";

/**
 * Runs a contact centre on simulated traffic: validates the configuration and traffic first (nothing
 * starts if either is wrong), starts the whole platform and a simulated media gateway on one scaled clock,
 * loads the configuration into the `config` stream, signs the agents in, places the callers, prints live
 * progress from the EVENTS stream (the relay's output) at most once a second, and ends with a summary
 * computed from the event store.
 */
export async function runSimulation(ctx: CliContext, options: SimulationOptions): Promise<number> {
  // Exact simulated time by default (time jumps when the platform is idle: results independent of the
  // machine's speed and load); `--live` or `--speed X` runs on a scaled wall clock instead, for watching.
  const live = ctx.flags.live === true || ctx.flags.speed !== undefined;
  const speed = positiveNumber(ctx.flags.speed, "--speed") ?? options.defaultSpeed;
  const startAtFlag =
    typeof ctx.flags["start-at"] === "string" ? Date.parse(ctx.flags["start-at"]) : undefined;
  if (startAtFlag !== undefined && Number.isNaN(startAtFlag))
    throw new ConfigError("invalid configuration: --start-at: must be an ISO date-time", [
      { source: "flags", path: "--start-at", reason: "must be an ISO date-time" },
    ]);
  const callsOut = typeof ctx.flags["calls-out"] === "string" ? ctx.flags["calls-out"] : undefined;
  const minutes = positiveNumber(ctx.flags.minutes, "--minutes");
  const seed = typeof ctx.flags.seed === "string" ? ctx.flags.seed : undefined;

  // Everything that can be wrong with the input is found before anything starts.
  const cc = loadContactCentre(options.configFile);
  for (const w of cc.warnings) ctx.err(`${w.file}:${w.path}: ${w.reason}`);
  let traffic = loadTraffic(cc, options.configFile, options.trafficFile);
  traffic = {
    ...traffic,
    ...(minutes === undefined ? {} : { durationSec: minutes * 60 }),
    ...(seed === undefined ? {} : { seed }),
  };
  const runtime = loadRuntimeConfig({
    flags: {
      ...ctx.flags,
      // The simulation runs its own media gateway, on the simulated driver its scripts drive.
      target: "router,agent-presence,relay",
      config: options.runtimeFromConfigFile ? options.configFile : undefined,
    },
    env: ctx.env,
  });
  const calls = planCalls(traffic, cc.snapshot);
  const phones = planPhones(traffic, cc.snapshot);
  const agentIds = Object.keys(cc.snapshot.agents);

  ctx.out(`${options.title}: ${cc.file}`);
  ctx.out(`  traffic: ${trafficSource(cc, options)}`);
  ctx.out(
    `  ${agentIds.length} agents, ${Object.keys(cc.snapshot.groups).length} groups, ` +
      `${Object.keys(cc.snapshot.numbers).length} numbers, ${Object.keys(cc.snapshot.flows).length} flows; ` +
      `${calls.length} callers over ${fmtMinutes(traffic.durationSec)} simulated (seed ${traffic.seed}), ` +
      (live ? `clock ×${speed} (live)` : "virtual clock (exact simulated time)"),
  );

  // Traces: exported when OTEL_* asks for it (as `run`); else, with --trace-summary, kept in memory and
  // summarised per call at the end. Declared before the platform so that it is disposed after it.
  const exporting = telemetryRequested(ctx.env);
  const collector =
    !exporting && ctx.flags["trace-summary"] === true ? startTraceCollector("switchyard-demo") : undefined;
  await using telemetry =
    collector?.telemetry ??
    startTelemetry({ serviceName: ctx.env.OTEL_SERVICE_NAME ?? "switchyard-demo", env: ctx.env });
  if (exporting || collector) ctx.out(`  ${telemetry.describe()}`);
  if (exporting && ctx.flags["trace-summary"] === true)
    ctx.out("  trace summary: not printed, the traces are exported (OTEL_* is set)");

  const result = await runScenario({
    cc,
    traffic,
    runtime,
    calls,
    phones,
    signal: ctx.signal,
    out: ctx.out,
    ...(live ? { live: { speed } } : {}),
    ...(startAtFlag === undefined ? {} : { startAt: startAtFlag }),
    onProbeError: (err) => ctx.err(`virtual clock: the platform could not be observed: ${String(err)}`),
  });
  const { stored, stats, runStart, placed, scripted, relayOk, elapsedSec } = result;
  ctx.out(`summary (from the event store, ${stored.length} events):`);
  for (const line of formatSummary(stats)) ctx.out(`  ${line}`);
  if (callsOut !== undefined) {
    // Per-call outcomes and the figures, in a form two runs can be compared by (no ids, times from the start).
    const { until: _until, ...figures } = stats;
    writeFileSync(
      callsOut,
      `${JSON.stringify({ calls: callRecords(stored, runStart), statistics: figures }, null, 1)}\n`,
    );
    ctx.out(`  per-call outcomes written to ${callsOut}`);
  }
  for (const line of missReport(stats, scripted, traffic)) ctx.out(`  ${line}`);
  if (result.clockAdvances !== undefined)
    ctx.out(`  virtual clock: ${result.clockAdvances} jumps of simulated time`);
  const complete = checkComplete(stats, placed, ctx.out);
  if (ctx.signal.aborted)
    ctx.out(`${options.title}: interrupted after ${fmtMinutes(Math.round(elapsedSec))} simulated`);
  if (collector) {
    // Every span ended by now but those of work still under way (a consumer's ack): flushed, then read.
    await telemetry.flush();
    for (const line of formatTraceSummary(collector.spans(), live ? { clockSpeed: speed } : {}))
      ctx.out(line);
  }
  // The scaled clock turns platform latency into simulated time: timers that fired late mean the machine
  // could not keep up with this speed, and the figures above are distorted.
  const { fired, latenessP99Sec, latenessMaxSec } = stats.timers;
  const tolerance =
    positiveNumber(ctx.flags["max-timer-lateness"], "--max-timer-lateness") ?? DEFAULT_TIMER_TOLERANCE_SEC;
  ctx.out(
    `timers: ${fired} fired, late by p99 ${latenessP99Sec.toFixed(1)} s, at most ${latenessMaxSec.toFixed(1)} s of simulated time (tolerance ${tolerance} s)`,
  );
  const late = latenessMaxSec > tolerance;
  if (late)
    ctx.out(
      live
        ? `${options.title}: DISTORTED: a timer fired ${latenessMaxSec.toFixed(1)} simulated s late; the machine did not keep up with ×${speed} (lower --speed, or raise --max-timer-lateness)`
        : `${options.title}: DISTORTED: a timer fired ${latenessMaxSec.toFixed(1)} simulated s late on the virtual clock (a bug: it should fire on time)`,
    );
  const distorted = late && options.failWhenDistorted;
  const ok = relayOk && complete && !distorted;
  ctx.out(ok ? `${options.title}: ok` : `${options.title}: FAILED`);
  return ok ? 0 : distorted ? 3 : 1;
}

/** One run of a contact centre on planned traffic, as `simulate` and each re-run of `whatif` make it. */
export interface Scenario {
  readonly cc: ContactCentre;
  readonly traffic: TrafficModel;
  readonly runtime: RuntimeConfig;
  readonly calls: readonly SimulatedCall[];
  readonly phones: readonly PhonePlan[];
  /** Stops placing callers and skips the wait: the figures cover what happened until then. */
  readonly signal: AbortSignal;
  readonly out: (line: string) => void;
  /** A wall clock scaled by `speed` (to watch); absent: the virtual clock (exact simulated time). */
  readonly live?: { readonly speed: number };
  /** Simulated start (epoch ms); default now. */
  readonly startAt?: number;
  /** Live progress lines at most once a real second (default true). */
  readonly progress?: boolean;
  readonly onProbeError?: (error: unknown) => void;
  /** The events in this process's memory (no SQL at all), for runs nothing reads afterwards. */
  readonly memoryStore?: boolean;
}

export interface ScenarioResult {
  /** This run's events, from the event store, in log order. */
  readonly stored: readonly StoredEvent[];
  readonly stats: Statistics;
  /** Platform time when the run's configuration was loaded (its calls start then or later). */
  readonly runStart: number;
  /** Platform time the first caller could arrive: the traffic's second 0. */
  readonly startAt: number;
  readonly placed: number;
  /** What each agent's phone was scripted to do. */
  readonly scripted: ReadonlyMap<string, { rings: number; misses: number }>;
  /** The relay published every stored event once and in order per stream. */
  readonly relayOk: boolean;
  readonly elapsedSec: number;
  readonly clockAdvances?: number;
}

/**
 * Starts the whole platform and a simulated media gateway on one clock, loads the configuration into the
 * `config` stream, signs the agents in (or follows the traffic's recorded sign-in timeline), places the
 * callers, waits for the calls to finish, and returns the run's events and figures, checked against what
 * the relay published.
 */
export async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const { cc, traffic, runtime, calls, phones, out } = scenario;
  const stop = scenario.signal;
  const live = scenario.live !== undefined;
  const speed = scenario.live?.speed ?? 1;
  const agentIds = Object.keys(cc.snapshot.agents);
  const clock: Clock = live
    ? scaledClock({ speed, ...(scenario.startAt === undefined ? {} : { startAt: scenario.startAt }) })
    : virtualClock({
        startAt: scenario.startAt ?? Date.now(),
        ...(scenario.onProbeError ? { onProbeError: scenario.onProbeError } : {}),
      });
  await using stack = new Disposer();
  if (isVirtualClock(clock)) stack.use(clock);
  const platform = stack.use(
    await startPlatform(runtime, { log: out, clock, ...(scenario.memoryStore ? { memoryStore: true } : {}) }),
  );
  for (const line of platform.describe()) if (!line.startsWith("not in this build")) out(`  ${line}`);
  const driver = new SimulatedDriver({
    clock,
    defaultPhone: { kind: "fail", detail: "404 Not Found" },
    // Audio files uploaded through the admin API to this database play for their real length.
    storedAudio: new EventStoreAudioLibrary({
      store: platform.eventStore.store,
      blobs: platform.eventStore.blobs,
      cacheDir: join(tmpdir(), `switchyard-audio-${platform.eventStore.schema}`),
    }),
  });
  const durable = `simulation_${randomUUID().slice(0, 8)}`;
  // A consumer of this run only: removed afterwards (once it has stopped) so a shared NATS is not left with it.
  stack.defer(async () => {
    await platform.bus.deleteConsumer(EVENTS_STREAM, durable).catch(() => undefined);
  });
  // The run's gateway and its consumer of events stop together, each waiting on its own.
  const parts = stack.use(new Together());
  const own = parts.use(new Disposer());
  own.defer(() => driver.close());
  const gateway = own.use(
    await startGateway({
      bus: platform.bus,
      clock,
      driver,
      gatewayId: GATEWAY_ID,
      // Call ids seed the routing tie-breaks (the domain's decision seed is the call id): numbered from the
      // traffic seed and the start time, the same run gives the same ids, hence the same decisions.
      newCallId: callIds(traffic.seed, clock.now()),
      // The transfers a recorded day's agents made, dialled as `group:<id>` / `agent:<id>` from their phones.
      transferTargets: transferCodes(cc.snapshot),
      log: (level, message) => {
        if (level === "error") out(`media-gateway ${level}: ${message}`);
      },
    }),
  );
  out(`  services up: media-gateway (simulated driver, gateway "${GATEWAY_ID}")`);

  // This run's events are those after the log's current end (the database may hold earlier runs).
  const runFrom = await endOfLog(platform.eventStore);
  const runStart = clock.now();
  const written = await appendContactCentre(platform.eventStore.store, cc, { actor: "switchyard simulate" });
  out(`  configuration: ${written} config events appended to the "${CONFIG_STREAM}" stream`);

  // Live figures come from the EVENTS stream (what the relay published); the summary from the store.
  const progressStats = new StatisticsBuilder(cc.snapshot, {
    serviceLevelSec: traffic.serviceLevelSec,
    since: runStart,
  });
  const relayCheck = new RelayCheck();
  // Ends the simulated agents' pending returns from breaks when the run stops.
  const stopping = new AbortController();
  stack.defer(() => stopping.abort());
  const consumer = await platform.bus.consume<EventMessage>({
    stream: EVENTS_STREAM,
    durable,
    deliverPolicy: "all",
    maxDeliver: 5,
    ackWaitMs: 30_000,
    prefetch: 256,
    decode: decodeEventMessage,
    handler: ({ payload }) => {
      relayCheck.see(payload);
      progressStats.add(payload);
      // A simulated agent the platform paused for missed offers comes back after a while, as a person
      // noticing the pause would (otherwise one unlucky agent would sit out the rest of the run).
      const data = payload.data as { reason?: string; at?: number } | undefined;
      if (
        payload.type === "AgentBreakStarted" &&
        data?.reason === MISSED_OFFERS_BREAK &&
        (data.at ?? 0) >= runStart
      ) {
        const agentId = agentIdOfStream(payload.streamId) as string;
        out(`  ${agentId} paused after missed offers; back in ${PAUSE_RETURN_SEC} s`);
        void clock
          .sleep(PAUSE_RETURN_SEC * 1000, stopping.signal)
          .then(() =>
            holding(clock, () => sendAgentInput(platform.bus, agentId, { type: "EndBreak" }, clock)),
          )
          .catch(() => undefined);
      }
    },
  });
  parts.use({ [Symbol.asyncDispose]: () => consumer.stop() });

  // What each phone was scripted to do, per agent: the misses the traffic file asked for, to set against the
  // misses the platform counted.
  const scripted = new Map<string, { rings: number; misses: number }>();
  for (const phone of phones)
    driver.setPhone(phone.key, () => {
      const action = phone.next();
      const s = scripted.get(phone.agentId) ?? { rings: 0, misses: 0 };
      s.rings += 1;
      if (action.kind !== "answer") s.misses += 1;
      scripted.set(phone.agentId, s);
      return action;
    });
  // A recorded day's agents follow their recorded timeline (those signed in at its start sign in now);
  // agents without one (all of them in generated traffic, agents a variant adds) sign in now.
  const timeline = traffic.agentTimeline ?? {};
  const atStart = agentIds.filter((id) => {
    const entries = timeline[id];
    return entries === undefined || entries.some((e) => e.atSec <= 0 && e.input === "SignIn");
  });
  await signIn(platform.bus, atStart, clock);
  out(`  ${atStart.length} agents signed in; placing calls`);

  const startAt = clock.now();
  for (const [agentId, entries] of Object.entries(timeline)) {
    if (!cc.snapshot.agents[agentId]) continue;
    for (const entry of entries) {
      if (entry.atSec <= 0) continue;
      void clock
        .sleep(entry.atSec * 1000, stopping.signal)
        .then(() =>
          holding(clock, () =>
            sendAgentInput(platform.bus, agentId, { type: entry.input } as AgentInput, clock),
          ),
        )
        .catch(() => undefined);
    }
  }
  const elapsed = () => (clock.now() - startAt) / 1000;
  const progress = setInterval(() => {
    if (scenario.progress !== false) out(formatProgress(progressStats.result(clock.now()), elapsed()));
  }, 1000);
  stack.defer(() => clearInterval(progress));

  // Ctrl-C stops placing callers and skips the wait: the summary covers what happened until then.
  const placed = await placeCalls(gateway, clock, startAt, calls, stop);
  await clock.sleep(Math.max(0, startAt + traffic.durationSec * 1000 - clock.now()), stop).catch(() => {});
  // Let the calls in progress finish (talk, voicemail), bounded so a stuck call cannot hang the run.
  const drainUntil = clock.now() + 20 * 60_000;
  const finished = () => {
    const now = progressStats.result(clock.now());
    return now.arrived >= placed && now.inProgress === 0;
  };
  if (isVirtualClock(clock)) {
    // Checked at each quiescent moment, one jump of time after the other, and the clock is then kept there:
    // the run ends at the same simulated instant whatever the machine (a nothing-left-to-wake platform is
    // stuck, and ends the wait too).
    stack.use(await drainVirtual(clock, () => finished() || clock.now() >= drainUntil || stop.aborted));
  } else {
    while (clock.now() < drainUntil && !stop.aborted) {
      if (finished()) break;
      await sleepReal(100);
    }
  }
  clearInterval(progress);
  if (scenario.progress !== false) out(formatProgress(progressStats.result(clock.now()), elapsed()));

  const until = clock.now();
  const stored = await readAllEvents(platform.eventStore, runFrom);
  const stats = new StatisticsBuilder(cc.snapshot, {
    serviceLevelSec: traffic.serviceLevelSec,
    since: runStart,
  })
    .addAll(stored)
    .result(until);
  // The relay must have carried every stored event onto JetStream, once, in order per stream.
  await waitReal(() => relayCheck.hasAll(stored), 30_000);
  const relayOk = relayCheck.report(stored, out);
  return {
    stored,
    stats,
    runStart,
    startAt,
    placed,
    scripted,
    relayOk,
    elapsedSec: elapsed(),
    ...(isVirtualClock(clock) ? { clockAdvances: clock.stats().advances } : {}),
  };
}

function loadTraffic(cc: ContactCentre, configFile: string, trafficFile: string | undefined): TrafficModel {
  // Default traffic only on numbers that lead somewhere.
  const base = defaultTraffic(cc.businessNumbers.filter((n) => cc.snapshot.numbers[n] !== undefined));
  if (trafficFile !== undefined) return parseTraffic(readYaml(trafficFile), trafficFile, cc.snapshot, base);
  const doc = readYaml(configFile) as Record<string, unknown> | null;
  if (doc && typeof doc === "object" && doc.traffic !== undefined)
    return parseTraffic({ traffic: doc.traffic }, configFile, cc.snapshot, base);
  return base;
}

function trafficSource(cc: ContactCentre, options: SimulationOptions): string {
  if (options.trafficFile !== undefined) return options.trafficFile;
  const doc = readYaml(options.configFile) as Record<string, unknown> | null;
  if (doc && typeof doc === "object" && doc.traffic !== undefined) return `the traffic section of ${cc.file}`;
  return "default (Poisson, 60 calls an hour on each business number)";
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new TrafficConfigError(file, [
      { file, path: "", reason: `cannot read: ${(error as Error).message}` },
    ]);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0)
    throw new TrafficConfigError(
      file,
      doc.errors.map((e) => ({ file, path: "", reason: `YAML syntax: ${e.message.split("\n")[0]}` })),
    );
  return doc.toJS();
}

/**
 * Appends what the `config` stream lacks, decided by the config decider, with the stream's version as the
 * expected version; returns the number of events appended (0 when the store already has it all). Usable by
 * `run` too, to load a `--config` file's contact centre at start.
 */
/** Simulated seconds after which an agent paused for missed offers ends the break. */
const PAUSE_RETURN_SEC = 60;

async function sendAgentInput(bus: Bus, agentId: string, input: AgentInput, clock: Clock): Promise<void> {
  const message: AgentInputMessage = { messageId: randomUUID(), agentId, input, at: clock.now() };
  await bus.publish(agentInputSubject(agentId), message, { msgId: message.messageId });
}

async function signIn(bus: Bus, agentIds: readonly string[], clock: Clock): Promise<void> {
  for (const agentId of agentIds) await sendAgentInput(bus, agentId, { type: "SignIn" }, clock);
  const kv = await bus.keyValue<PresenceRecord>(presenceBucket(bus.names.prefix));
  const available = async (agentId: string) =>
    (await kv.get(presenceKey(agentId)))?.value.state.status === "available";
  const ok = await waitReal(async () => (await Promise.all(agentIds.map(available))).every(Boolean), 30_000);
  if (!ok)
    throw new SimulationError("agents did not become available within 30 s (is agent-presence running?)");
}

async function placeCalls(
  gateway: MediaGateway,
  clock: Clock,
  startAt: number,
  calls: readonly SimulatedCall[],
  signal: AbortSignal,
): Promise<number> {
  let placed = 0;
  for (const call of calls) {
    const due = startAt + call.atSec * 1000;
    if (due > clock.now()) await clock.sleep(due - clock.now(), signal).catch(() => {});
    if (signal.aborted) break;
    await holding(clock, () =>
      gateway.placeInboundCall({
        from: call.from,
        to: call.to,
        dtmf: call.dtmf,
        talkSec: call.talkSec,
        voicemailSec: call.voicemailSec,
        ...(call.patienceSec === undefined ? {} : { patienceSec: call.patienceSec }),
        ...(call.agentTransfer === undefined ? {} : { agentTransfer: call.agentTransfer }),
        ...(call.talkAfterTransferSec === undefined
          ? {}
          : { talkAfterTransferSec: call.talkAfterTransferSec }),
      }),
    );
    placed += 1;
  }
  return placed;
}

export interface StoredEvent extends LoggedEvent {
  readonly eventId: string;
  readonly version: number;
}

async function readAllEvents(eventStore: EventStoreHandle, from: Checkpoint = START): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let after = from;
  for (;;) {
    const page = await eventStore.store.readAll(after, { limit: 2000 });
    for (const e of page.events)
      events.push({
        streamId: e.streamId,
        type: e.type,
        data: e.data,
        eventId: e.eventId,
        version: e.streamVersion,
      });
    if (page.events.length === 0) return events;
    after = page.checkpoint;
  }
}

async function endOfLog(eventStore: EventStoreHandle): Promise<Checkpoint> {
  let after = START;
  for (;;) {
    const page = await eventStore.store.readAll(after, { limit: 5000 });
    if (page.events.length === 0) return after;
    after = page.checkpoint;
  }
}

/**
 * What the relay published on EVENTS, judged against this run's stored events: each seen exactly once, and
 * per stream in version order. (EVENTS may also carry earlier runs' events; those are not judged.)
 */
class RelayCheck {
  readonly #messages: Array<{ readonly id: string; readonly streamId: string; readonly version: number }> =
    [];
  readonly #ids = new Set<string>();

  see(message: EventMessage): void {
    this.#messages.push({ id: message.id, streamId: message.streamId, version: message.version });
    this.#ids.add(message.id);
  }

  hasAll(stored: readonly StoredEvent[]): boolean {
    return stored.every((e) => this.#ids.has(e.eventId));
  }

  report(stored: readonly StoredEvent[], out: (line: string) => void): boolean {
    const ids = new Set(stored.map((e) => e.eventId));
    const ours = this.#messages.filter((m) => ids.has(m.id));
    const unique = new Set(ours.map((m) => m.id));
    const duplicates = ours.length - unique.size;
    const missing = stored.length - unique.size;
    const seenVersions = new Map<string, number[]>();
    const once = new Set<string>();
    for (const m of ours) {
      if (once.has(m.id)) continue;
      once.add(m.id);
      seenVersions.set(m.streamId, [...(seenVersions.get(m.streamId) ?? []), m.version]);
    }
    let outOfOrder = 0;
    for (const versions of seenVersions.values())
      for (let i = 1; i < versions.length; i++) if (versions[i]! !== versions[i - 1]! + 1) outOfOrder += 1;
    out(
      `relayed to JetStream ${EVENTS_STREAM}: ${unique.size}/${stored.length} events, ` +
        `${duplicates} duplicates, ${outOfOrder} out of order`,
    );
    return missing === 0 && duplicates === 0 && outOfOrder === 0;
  }
}

function checkComplete(stats: Statistics, placed: number, out: (line: string) => void): boolean {
  if (stats.arrived === placed) return true;
  out(`only ${stats.arrived} of the ${placed} calls placed reached the event store`);
  return false;
}

/** The run could not proceed (the platform did not come up as expected). */
export class SimulationError extends Error {
  override readonly name = "SimulationError";
}

function positiveNumber(value: string | boolean | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "string" ? Number(value) : Number.NaN;
  if (!(Number.isFinite(n) && n > 0))
    throw new ConfigError(`invalid configuration: ${flag}: must be a number greater than 0`, [
      { source: "flags", path: flag, reason: "must be a number greater than 0" },
    ]);
  return n;
}

function fmtMinutes(sec: number): string {
  return sec % 60 === 0 ? `${sec / 60} min` : `${(sec / 60).toFixed(1)} min`;
}

/**
 * The phones' scripted misses (no answer, busy, declined; drawn from the traffic file's probabilities) against
 * the misses the platform counted. A counted miss beyond the scripted ones is a phone that answered too late
 * for the platform: on a clock the machine did not keep up with.
 */
function missReport(
  stats: Statistics,
  scripted: ReadonlyMap<string, { rings: number; misses: number }>,
  traffic: TrafficModel,
): string[] {
  let rings = 0;
  let misses = 0;
  let expected = 0;
  let counted = 0;
  const beyond: string[] = [];
  for (const agent of stats.agents) {
    const s = scripted.get(agent.agentId) ?? { rings: 0, misses: 0 };
    const b = traffic.agents.byAgent[agent.agentId] ?? traffic.agents.default;
    rings += s.rings;
    misses += s.misses;
    expected += s.rings * (b.noAnswer + b.busy + b.reject);
    counted += agent.missed;
    if (agent.missed > s.misses) beyond.push(`${agent.agentId} ${agent.missed} > ${s.misses}`);
  }
  const pct = (x: number) => (rings === 0 ? "0.0" : ((100 * x) / rings).toFixed(1));
  return [
    `agents' phones: ${rings} rings, ${misses} scripted to miss (${pct(misses)}%; the traffic file's rates give ${pct(expected)}%); ` +
      `misses counted by the platform: ${counted} (${pct(counted)}%), ` +
      (beyond.length === 0
        ? "none beyond the scripted ones"
        : `MORE than scripted for ${beyond.join(", ")} (answers that came too late)`),
  ];
}

/** `sim-<tag>-<n>`: the tag from the traffic seed and the simulated start, so reruns of one run agree. */
function callIds(seed: string, startAt: number): () => string {
  const random = seededRandom(`${seed}:${startAt}`);
  const tag = Math.floor(random() * 2 ** 32).toString(36);
  let n = 0;
  return () => `sim-${tag}-${++n}`;
}

/**
 * Runs work started by a wake-up of the clock (an arrival, an agent's return) holding a virtual clock, so
 * that time does not move on before the work is visible to the platform's quiescence probes.
 */
function holding<T>(clock: Clock, work: () => Promise<T>): Promise<T> {
  return isVirtualClock(clock) ? clock.run(work) : work();
}

/**
 * Lets the virtual clock move one jump at a time until `done` holds at a quiescent moment (or nothing is left
 * to wake); returns the clock held there (disposing releases it).
 */
async function drainVirtual(clock: VirtualClock, done: () => boolean): Promise<AsyncDisposable> {
  for (let first = true; ; first = false) {
    const release = await clock.quiescent({ afterAdvance: !first });
    if (done() || clock.pending() === 0) return { [Symbol.asyncDispose]: async () => release() };
    release();
  }
}

const sleepReal = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitReal(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleepReal(100);
  }
  return check();
}
