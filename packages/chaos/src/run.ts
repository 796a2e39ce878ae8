// One chaos run: a private PostgreSQL and nats-server, every service as its own `switchyard run` process,
// seeded traffic published as a gateway would, a seeded fault schedule, then the invariant checker over the
// PostgreSQL log. Talks to the platform only through processes, PostgreSQL and NATS. Leaves nothing running.
import { resolve } from "node:path";
import { type Bus, connectBus, type DeadLetter } from "@switchyard/bus";
import { appendContactCentre, parseContactCentre } from "@switchyard/contact-centre";
import {
  type AgentInputMessage,
  agentInputSubject,
  type CallInputMessage,
  callInputSubject,
  type PresenceRecord,
  presenceBucket,
  presenceKey,
} from "@switchyard/contracts";
import { type OpenedEventStore, openEventStore, type RecordedEvent, START } from "@switchyard/event-store";
import { chaosCentre } from "./centre.js";
import { type CheckReport, checkEventLog, type RelayedEvent } from "./checker.js";
import { ChaosOptionsError, TrafficPublishError } from "./errors.js";
import { readEventLog } from "./event-log.js";
import { EventsStreamReader, readDeadLetters } from "./events-stream.js";
import { type PrivateNats, startPrivateNats } from "./nats.js";
import { type PrivatePostgres, startPrivatePostgres } from "./postgres.js";
import { alive, Incarnation, runToEnd, sleep } from "./processes.js";
import { type Fault, faultSchedule } from "./schedule.js";
import { type PlannedCall, trafficPlan } from "./traffic.js";

const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const BIN = resolve(REPO_ROOT, "packages/cli/bin/switchyard.mjs");
const SCHEMA = "chaos";
const PREFIX = "chaos";

export interface ChaosOptions {
  readonly seed: string;
  readonly routers: number;
  /** How long calls keep arriving. */
  readonly trafficMs: number;
  readonly callsPerMinute: number;
  readonly agentsPerGroup: number;
  readonly faults: number;
  /** Besides `faults`: a router SIGKILLed and restarted about this often (absent: none). */
  readonly routerKillEveryMs?: number;
  /** Each router's ack wait (a stopped router's inputs go to another after it). */
  readonly ackWaitMs: number;
  /** After the last hang-up: how long every call has to reach CallEnded. */
  readonly drainMs: number;
  /** After the other services stopped: how long the relay has to put the rest of the log on the bus. */
  readonly relayCatchUpMs: number;
  /** Callers stay on the line this long, uniform, in seconds. */
  readonly holdSec: readonly [number, number];
  readonly log?: (line: string) => void;
}

export const DEFAULT_CHAOS: Omit<ChaosOptions, "seed"> = {
  routers: 3,
  trafficMs: 60_000,
  callsPerMinute: 60,
  agentsPerGroup: 4,
  faults: 8,
  ackWaitMs: 3_000,
  drainMs: 90_000,
  relayCatchUpMs: 30_000,
  holdSec: [4, 15],
};

export interface AppliedFault extends Fault {
  /** Wall-clock ms after the traffic started when the fault was applied and when it was undone. */
  readonly appliedAtMs: number;
  readonly restoredAtMs: number;
  /** A restarted process: spawn to its "up" line, in ms. */
  readonly readyMs?: number;
  readonly error?: string;
}

export interface UnexpectedExit {
  readonly service: string;
  readonly atMs: number;
  readonly code: number | null;
  readonly signal: string | null;
  readonly lastLines: readonly string[];
}

export interface ChaosResult {
  readonly options: ChaosOptions;
  readonly schedule: readonly Fault[];
  readonly applied: readonly AppliedFault[];
  readonly planned: number;
  readonly published: number;
  /** Calls ended per minute of traffic. */
  readonly callsPerMinute: number;
  /** Calls bridged to an agent. */
  readonly answered: number;
  /** Ms from the last hang-up published until the last call ended (undefined: not every call ended). */
  readonly drainedAfterMs: number | undefined;
  /** Publish of StartCall to its CallStarted in PostgreSQL, outside every fault window and overall. */
  readonly startLatencyMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** Per applied fault: the longest start latency of calls published from its start to 10 s after its end. */
  readonly recovery: ReadonlyArray<{
    readonly fault: string;
    readonly worstStartMs: number;
    readonly calls: number;
  }>;
  readonly unexpectedExits: readonly UnexpectedExit[];
  /** What consumers gave up on (DEADLETTER): subject, reason and error of each. */
  readonly deadLetters: readonly DeadLetter[];
  readonly report: CheckReport;
  /** The events of the streams named by the first violations, one line each, to see what happened. */
  readonly evidence: readonly string[];
  /** Pids of everything the run started: services (every incarnation), nats-servers, postmasters. */
  readonly pids: readonly number[];
  /** The private PostgreSQL data directory (gone after the run; a process naming it would be a leftover). */
  readonly dataDir: string;
  /** Pids of anything the run started that is still alive after it (should be empty). */
  readonly leftRunning: readonly number[];
}

/** A supervised `switchyard run --target X` process, restarted when it dies unless the harness killed it. */
class Service {
  current: Incarnation | undefined;
  /** Set while the harness holds it down (fault) or is shutting down: its exit is not a crash. */
  held = true;
  readonly pids: number[] = [];

  constructor(
    readonly name: string,
    readonly target: string,
    readonly env: Readonly<Record<string, string>>,
    readonly onCrash: (
      service: Service,
      exit: { code: number | null; signal: string | null },
      lines: string[],
    ) => void,
  ) {}

  /** Spawns an incarnation and resolves with ms until its "up" line. */
  async start(): Promise<number> {
    const began = performance.now();
    const inc = new Incarnation({
      name: this.name,
      command: process.execPath,
      args: [BIN, "run", "--target", this.target],
      env: this.env,
      cwd: REPO_ROOT,
      ready: /switchyard: up/,
      startTimeoutMs: 120_000,
    });
    this.current = inc;
    this.pids.push(inc.pid);
    void inc.exited.then((exit) => {
      if (!this.held && this.current === inc) this.onCrash(this, exit, inc.lines);
    });
    await inc.ready();
    this.held = false;
    return performance.now() - began;
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const o = options;
  if (o.routers < 1 || o.routers > 8) throw new ChaosOptionsError(`routers must be 1 to 8, not ${o.routers}`);
  const log = o.log ?? (() => undefined);
  const centre = chaosCentre(o.agentsPerGroup);
  const schedule = faultSchedule({
    seed: o.seed,
    routers: o.routers,
    trafficMs: o.trafficMs,
    faults: o.faults,
    ackWaitMs: o.ackWaitMs,
    ...(o.routerKillEveryMs === undefined ? {} : { routerKillEveryMs: o.routerKillEveryMs }),
  });
  const plan = trafficPlan({
    seed: o.seed,
    trafficMs: o.trafficMs,
    callsPerMinute: o.callsPerMinute,
    numbers: centre.numbers,
    holdSec: [o.holdSec[0], o.holdSec[1]],
  });
  log(`chaos seed ${o.seed}: ${plan.length} calls over ${o.trafficMs / 1000} s, ${schedule.length} faults:`);
  for (const f of schedule)
    log(`  at ${(f.atMs / 1000).toFixed(1)} s ${f.kind} ${f.target} (${f.downMs} ms)`);

  let pg: PrivatePostgres | undefined;
  let nats: PrivateNats | undefined;
  let es: OpenedEventStore | undefined;
  let bus: Bus | undefined;
  const services: Service[] = [];
  const natsPids: number[] = [];
  let postmaster: number | undefined;
  let shuttingDown = false;
  const unexpectedExits: UnexpectedExit[] = [];
  let t0 = Date.now();
  let result: Omit<ChaosResult, "leftRunning" | "pids" | "dataDir"> | undefined;
  let left: number[] = [];
  let pids: number[] = [];
  const postmasters: number[] = [];
  try {
    pg = await startPrivatePostgres();
    nats = await startPrivateNats();
    natsPids.push(nats.pid() ?? -1);
    postmaster = await pg.postmasterPid();
    if (postmaster) postmasters.push(postmaster);
    log(`private PostgreSQL on ${pg.port} (${pg.dataDir}), nats-server on ${nats.port}`);
    const env = {
      DATABASE_URL: pg.url,
      NATS_URL: nats.url,
      DATABASE_SCHEMA: SCHEMA,
      SWITCHYARD_PREFIX: PREFIX,
      SWITCHYARD_LOG_FORMAT: "json",
      SWITCHYARD_ROUTER_ACK_WAIT_MS: String(o.ackWaitMs),
    };
    await runToEnd("switchyard setup", process.execPath, [
      BIN,
      "setup",
      "--nats-url",
      nats.url,
      "--prefix",
      PREFIX,
    ]);
    es = await openEventStore({ url: pg.url, schema: SCHEMA, poolSize: 4 });
    await appendContactCentre(es.store, parseContactCentre(centre.yaml, "chaos.yaml"), { actor: "chaos" });

    const onCrash: Service["onCrash"] = (s, exit, lines) => {
      if (shuttingDown) return;
      unexpectedExits.push({
        service: s.name,
        atMs: Date.now() - t0,
        code: exit.code,
        signal: exit.signal,
        lastLines: lines.slice(-15),
      });
      log(`! ${s.name} exited by itself (${exit.code ?? exit.signal}); restarting it`);
      s.held = true;
      const again = async (): Promise<void> => {
        await sleep(1_000);
        if (shuttingDown) return;
        try {
          await s.start();
        } catch {
          // Its dependencies may still be down: try again, as a supervisor (Kubernetes) would.
          return again();
        }
      };
      void again();
    };
    const targets: Array<[string, string]> = [
      ["relay", "relay"],
      ["agent-presence", "agent-presence"],
      ["media-gateway", "media-gateway"],
      ...Array.from({ length: o.routers }, (_, i): [string, string] => [`router-${i}`, "router"]),
    ];
    for (const [name, target] of targets) services.push(new Service(name, target, env, onCrash));
    await Promise.all(services.map((s) => s.start()));
    log(`services up: ${services.map((s) => `${s.name} (pid ${s.current?.pid})`).join(", ")}`);

    bus = await connectBus({ url: nats.url, prefix: PREFIX, name: "chaos-harness", publishTimeoutMs: 5_000 });
    await signInAll(bus, centre.agentIds);
    log(`${centre.agentIds.length} agents signed in and available`);

    // Traffic and faults, both timed from t0.
    t0 = Date.now();
    const publishedAt = new Map<string, number>();
    let lastHangUp = t0;
    const traffic = Promise.all(
      plan.map(async (call) => {
        await sleep(call.atMs - (Date.now() - t0));
        await publishCall(bus as Bus, call, "start");
        publishedAt.set(call.callId, Date.now());
        await sleep(call.hangUpAfterMs);
        await publishCall(bus as Bus, call, "hangup");
        lastHangUp = Math.max(lastHangUp, Date.now());
      }),
    );
    const byName = new Map(services.map((s) => [s.name, s]));
    const applied: AppliedFault[] = [];
    // Each fault at its time, even while an earlier one is still being undone (a restart can take many
    // seconds on a busy machine, and a late schedule would push the server restarts past the traffic);
    // faults on one target wait for each other.
    const chains = new Map<string, Promise<void>>();
    const faults = Promise.all(
      schedule.map((f) => {
        const run = (chains.get(f.target) ?? Promise.resolve()).then(async () => {
          await sleep(f.atMs - (Date.now() - t0));
          const appliedAtMs = Date.now() - t0;
          log(`fault at ${(appliedAtMs / 1000).toFixed(1)} s: ${f.kind} ${f.target}`);
          try {
            const readyMs = await applyFault(f, byName, pg as PrivatePostgres, nats as PrivateNats);
            if (f.kind === "restart-nats") natsPids.push(nats?.pid() ?? -1);
            if (f.kind === "restart-postgres") {
              postmaster = await pg?.postmasterPid();
              if (postmaster) postmasters.push(postmaster);
            }
            applied.push({
              ...f,
              appliedAtMs,
              restoredAtMs: Date.now() - t0,
              ...(readyMs ? { readyMs } : {}),
            });
          } catch (error) {
            applied.push({ ...f, appliedAtMs, restoredAtMs: Date.now() - t0, error: String(error) });
            log(`  fault ${f.kind} failed: ${String(error)}`);
          }
        });
        chains.set(f.target, run);
        return run;
      }),
    );
    await Promise.all([traffic, faults]);
    log(
      `traffic done: ${publishedAt.size} calls published; waiting up to ${o.drainMs / 1000} s for every call to end`,
    );
    const lastEnd = await waitForCallsToEnd(es, new Set(publishedAt.keys()), o.drainMs);
    const drainedAfterMs = lastEnd === undefined ? undefined : Math.max(0, lastEnd - lastHangUp);

    shuttingDown = true;
    for (const s of services) s.held = true;
    // Everything but the relay stops (nothing appends any more); the relay then gets time to publish the
    // rest of the log before it stops too, so that the bus can be compared with the whole log.
    const relay = services.filter((s) => s.target === "relay");
    await Promise.all(services.filter((s) => s.target !== "relay").map((s) => s.current?.stop(30_000)));
    const reader = await EventsStreamReader.start(bus);
    let events: RecordedEvent[];
    let relayed: RelayedEvent[];
    try {
      const relayedBy = Date.now() + o.relayCatchUpMs;
      for (;;) {
        events = await readEventLog(es);
        if (reader.holds(events.map((e) => e.eventId)) || Date.now() > relayedBy) break;
        await sleep(500);
      }
      await Promise.all(relay.map((s) => s.current?.stop(30_000)));
      await reader.idle(1_500);
      events = await readEventLog(es);
      relayed = reader.messages();
    } finally {
      await reader.close();
    }
    const report = checkEventLog(events, { bus: relayed });
    const deadLetters = await readDeadLetters(bus).catch((): DeadLetter[] => []);
    applied.sort((a, b) => a.appliedAtMs - b.appliedAtMs);
    const metrics = measure(events, publishedAt, applied, t0);
    result = {
      options: o,
      schedule,
      applied,
      planned: plan.length,
      published: publishedAt.size,
      callsPerMinute: report.callsEnded / (o.trafficMs / 60_000),
      answered: metrics.answered,
      drainedAfterMs,
      startLatencyMs: metrics.latency,
      recovery: metrics.recovery,
      unexpectedExits,
      deadLetters,
      report,
      evidence: evidenceOf(report, events),
    };
  } finally {
    shuttingDown = true;
    for (const s of services) s.held = true;
    await Promise.all(services.map((s) => s.current?.stop(10_000)));
    await bus?.close().catch(() => undefined);
    await es?.close().catch(() => undefined);
    await nats?.destroy().catch(() => undefined);
    await pg?.destroy().catch(() => undefined);
    pids = [...services.flatMap((s) => s.pids), ...natsPids, ...postmasters].filter((pid) => pid > 0);
    left = await stillAlive(pids);
    if (left.length > 0) log(`! still running after the run: ${left.join(", ")}`);
  }
  // Reached only when the run did not throw, so `result` is set.
  return {
    ...(result as Omit<ChaosResult, "leftRunning" | "pids" | "dataDir">),
    pids,
    dataDir: pg?.dataDir ?? "",
    leftRunning: left,
  };
}

async function applyFault(
  f: Fault,
  services: ReadonlyMap<string, Service>,
  pg: PrivatePostgres,
  nats: PrivateNats,
): Promise<number | undefined> {
  switch (f.kind) {
    case "kill-router":
    case "kill-service":
    case "kill-gateway": {
      const s = services.get(f.target);
      if (!s?.current) throw new ChaosOptionsError(`no service ${f.target}`);
      s.held = true;
      s.current.signal("SIGKILL");
      await s.current.exited;
      await sleep(f.downMs);
      return await startUntilUp(s);
    }
    case "stop-router": {
      const s = services.get(f.target);
      if (!s?.current) throw new ChaosOptionsError(`no service ${f.target}`);
      s.current.signal("SIGSTOP");
      await sleep(f.downMs);
      s.current.signal("SIGCONT");
      return undefined;
    }
    case "restart-nats":
      await nats.stop();
      await sleep(f.downMs);
      await nats.start();
      return undefined;
    case "restart-postgres":
      await pg.stop();
      await sleep(f.downMs);
      await pg.start();
      return undefined;
    default: {
      const unknown: never = f.kind;
      throw new ChaosOptionsError(`unknown fault ${String(unknown)}`);
    }
  }
}

/**
 * Restarts a killed service, again and again if it does not come up (PostgreSQL or nats-server may be
 * restarting at that moment), as a supervisor would; ms from the first attempt until it is up.
 */
async function startUntilUp(s: Service, deadlineMs = 120_000): Promise<number> {
  const began = performance.now();
  for (;;) {
    try {
      await s.start();
      return performance.now() - began;
    } catch (error) {
      // An incarnation that never said it was up (timed out) is not left behind.
      s.current?.signal("SIGKILL");
      await s.current?.exited;
      if (performance.now() - began > deadlineMs) throw error;
      await sleep(1_000);
    }
  }
}

/** Publishes until acknowledged (the server may be restarting); the message id makes retries harmless. */
async function publishCall(bus: Bus, call: PlannedCall, what: "start" | "hangup"): Promise<void> {
  const message: CallInputMessage =
    what === "start"
      ? {
          messageId: `start-${call.callId}`,
          callId: call.callId,
          gatewayId: "default",
          input: { type: "StartCall", callId: call.callId, from: call.from, to: call.to },
          at: Date.now(),
        }
      : {
          messageId: `hangup-${call.callId}`,
          callId: call.callId,
          gatewayId: "default",
          input: { type: "HangUp", reason: "caller hung up" },
          at: Date.now(),
        };
  await retry(`${what} ${call.callId}`, () =>
    bus.publish(callInputSubject(call.callId), message, { msgId: message.messageId }),
  );
}

async function retry<T>(what: string, attempt: () => Promise<T>, deadlineMs = 120_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > until) throw new TrafficPublishError(`gave up on ${what}`, { cause: error });
      await sleep(250);
    }
  }
}

async function signInAll(bus: Bus, agentIds: readonly string[]): Promise<void> {
  for (const agentId of agentIds) {
    const message: AgentInputMessage = {
      messageId: `signin-${agentId}`,
      agentId,
      input: { type: "SignIn" },
      at: Date.now(),
    };
    await retry(`sign in ${agentId}`, () =>
      bus.publish(agentInputSubject(agentId), message, { msgId: message.messageId }),
    );
  }
  const kv = await bus.keyValue<PresenceRecord>(presenceBucket(PREFIX));
  const pending = new Set(agentIds);
  for (let i = 0; pending.size > 0; i++) {
    if (i > 600) throw new TrafficPublishError(`agents never became available: ${[...pending].join(", ")}`);
    for (const a of [...pending])
      if ((await kv.get(presenceKey(a)))?.value.state.status === "available") pending.delete(a);
    if (pending.size > 0) await sleep(200);
  }
}

/** Follows the log until every published call has CallEnded; the wall-clock time of the last, or undefined. */
async function waitForCallsToEnd(
  es: OpenedEventStore,
  calls: ReadonlySet<string>,
  drainMs: number,
): Promise<number | undefined> {
  const open = new Set(calls);
  let after = START;
  const until = Date.now() + drainMs;
  while (open.size > 0 && Date.now() < until) {
    try {
      const page = await es.store.readAll(after, { limit: 5_000 });
      for (const e of page.events)
        if (e.type === "CallEnded" && e.streamId.startsWith("call-")) open.delete(e.streamId.slice(5));
      after = page.checkpoint;
      if (page.events.length === 5_000) continue;
    } catch {
      // PostgreSQL may just have restarted: the pool reconnects on the next read.
    }
    if (open.size > 0) await sleep(1_000);
  }
  return open.size === 0 ? Date.now() : undefined;
}

function measure(
  events: readonly RecordedEvent[],
  publishedAt: ReadonlyMap<string, number>,
  applied: readonly AppliedFault[],
  t0: number,
) {
  const startedAt = new Map<string, number>();
  let answered = 0;
  for (const e of events) {
    if (!e.streamId.startsWith("call-")) continue;
    if (e.type === "CallStarted") startedAt.set(e.streamId.slice(5), e.recordedAt.getTime());
    if (e.type === "LegsBridged") answered++;
  }
  const latencyOf = (callId: string) => {
    const p = publishedAt.get(callId);
    const s = startedAt.get(callId);
    return p !== undefined && s !== undefined ? Math.max(0, s - p) : undefined;
  };
  const all = [...publishedAt.keys()].map(latencyOf).filter((x): x is number => x !== undefined);
  all.sort((a, b) => a - b);
  const pct = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? 0;
  const recovery = applied.map((f) => {
    const from = t0 + f.appliedAtMs;
    const to = t0 + f.restoredAtMs + 10_000;
    const window = [...publishedAt]
      .filter(([, at]) => at >= from && at <= to)
      .map(([id]) => latencyOf(id))
      .filter((x): x is number => x !== undefined);
    return { fault: `${f.kind} ${f.target}`, worstStartMs: Math.max(0, ...window), calls: window.length };
  });
  return { answered, latency: { p50: pct(0.5), p95: pct(0.95), max: all.at(-1) ?? 0 }, recovery };
}

/**
 * Pids still alive 10 s after clean-up. The postmaster is not the harness's child: `pg_ctl stop -w` returns
 * once its pid file is gone, a moment before the process itself.
 */
async function stillAlive(pids: readonly number[]): Promise<number[]> {
  for (let i = 0; ; i++) {
    const left = pids.filter((pid) => pid > 0 && alive(pid));
    if (left.length === 0 || i >= 50) return left;
    await sleep(200);
  }
}

/** The streams of the first few violations, event by event (version, type, data), with the recording time. */
export function evidenceOf(report: CheckReport, events: readonly RecordedEvent[], violations = 3): string[] {
  const streams = [...new Set(report.violations.slice(0, violations).flatMap((v) => v.streams))];
  return streams.flatMap((id) => [
    `${id}:`,
    ...events
      .filter((e) => e.streamId === id)
      .sort((a, b) => a.streamVersion - b.streamVersion)
      .map(
        (e) =>
          `  v${e.streamVersion} ${e.recordedAt.toISOString().slice(11, 23)} tx ${e.transactionId} ${e.type} ${JSON.stringify(e.data).slice(0, 160)}`,
      ),
  ]);
}
