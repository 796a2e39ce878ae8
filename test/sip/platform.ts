// The platform over real SIP for end-to-end tests: relay, agent-presence, router and a media gateway running
// the drachtio driver, in this process, over the real PostgreSQL and NATS — and drachtio-server + FreeSWITCH
// from the rig on private loopback ports. Real SIP needs real time: the clock runs at speed 1.

import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { start as startPresence } from "@switchyard/agent-presence";
import { systemClock } from "@switchyard/clock";
import { dropSchema, openEventStore, type RecordedEvent } from "@switchyard/event-store";
import {
  DrachtioDriver,
  type DrachtioDriverOptions,
  EventStoreAudioLibrary,
  type MediaGateway,
  start as startGateway,
} from "@switchyard/media-gateway";
import { start as startRelay } from "@switchyard/relay";
import { type Router, type RouterConfig, start as startRouter } from "@switchyard/router";
import type { CallEvent, CallState, ConnectApplet } from "@switchyard/routing-domain";
import { foldCall } from "@switchyard/routing-domain";
import {
  checkTerminal,
  DATABASE_URL,
  defineConfig,
  type E2EPlatform,
  type EndedCall,
  flowOnNumber,
  hangup,
  NATS_URL,
  signIn,
} from "../e2e/harness.js";
import { startPlatformBuses } from "../support/secured-bus.js";
import type { GatewayProcessConfig } from "./gateway-process.js";
import { ManagedProcess, type SippAgent, startTelephony, type Telephony, waitFor } from "./rig/index.js";

const REPO_ROOT = resolve(import.meta.dirname, "../..");
const GATEWAY_MAIN = resolve(import.meta.dirname, "gateway-process.ts");

export const SIP_GATEWAY = "sip";

export interface SipPlatform {
  readonly schema: string;
  readonly prefix: string;
  readonly tel: Telephony;
  /** drachtio-server's SIP address: callers send their INVITEs here. */
  readonly sip: { readonly host: string; readonly port: number };
  readonly mediaDir: string;
  readonly router: Router;
  /** The in-process gateway and driver (undefined when the gateway runs as a child process). */
  gateway: MediaGateway;
  driver: DrachtioDriver;
  /** The gateway child process (gatewayProcess: true). */
  gatewayProcess: ManagedProcess | undefined;
  /** The test/e2e harness view of this platform (config, sign-in and stream helpers read only its stores). */
  readonly e2e: E2EPlatform;
  /** Closes the gateway and its driver (gracefully). */
  stopGateway(): Promise<void>;
  /** gatewayProcess only: SIGKILLs the gateway process, as a crash (drachtio and FreeSWITCH keep running). */
  killGateway(): Promise<void>;
  /** Starts a new driver + gateway with the same gateway id (its state bucket survives). */
  startGateway(): Promise<void>;
  close(options?: { keep?: boolean }): Promise<void>;
}

export async function startSipPlatform(
  options: {
    name?: string;
    router?: Partial<RouterConfig>;
    driver?: Partial<Omit<DrachtioDriverOptions, "clock" | "drachtio" | "freeswitch" | "mediaDir">>;
    dialplan?: string;
    gateway?: Pick<Parameters<typeof startGateway>[0], "transferTargets">;
    freeswitch?: { rtpPorts?: number; logLevel?: "debug" | "info" | "notice" | "warning" | "err" };
    drachtio?: { logLevel?: "notice" | "error" | "warning" | "info" | "debug" };
    /** Run the media gateway (drachtio driver) in a child process, so a test can kill it. */
    gatewayProcess?: boolean;
    /** gatewayProcess only: FreeSWITCH endpoints the gateway creates at once (unset: the driver's default). */
    endpointsInFlight?: number;
    /** gatewayProcess only: the driver's `mediaRelease` (in process: `driver.mediaRelease`). */
    mediaRelease?: "off" | "afterBridge";
  } = {},
): Promise<SipPlatform> {
  const id = randomBytes(4).toString("hex");
  const schema = `sip_${id}`;
  const prefix = `tsip${id}`;
  const clock = systemClock;
  const tel = await startTelephony({
    name: options.name ?? "platform",
    ...(options.dialplan ? { dialplan: options.dialplan } : {}),
    ...(options.freeswitch ? { freeswitch: options.freeswitch } : {}),
    ...(options.drachtio ? { drachtio: options.drachtio } : {}),
  });
  const mediaDir = join(tel.dir, "media");
  mkdirSync(mediaDir, { recursive: true });
  const eventStore = await openEventStore({ url: DATABASE_URL, schema, poolSize: 8 });
  // Every service on its own least-privilege credentials, as deployed; the test itself is the admin.
  const buses = await startPlatformBuses({
    prefix,
    gatewayIds: [SIP_GATEWAY],
    sharedUrl: NATS_URL,
    name: "sip-e2e",
  });
  const bus = buses.admin;
  const relay = await startRelay({
    eventStore,
    bus: await buses.busOf("relay"),
    // As deployed (`switchyard run --target relay`): woken by the commits' notifications, polling once a
    // second as a fallback (a 10 ms poll was a hundred reads a second of PostgreSQL, under the SIP load too).
    log: () => {},
  });
  const presence = await startPresence({ eventStore, bus: await buses.busOf("agent-presence"), clock });
  const router = await startRouter({
    eventStore,
    bus: await buses.busOf("router"),
    clock,
    gatewayId: SIP_GATEWAY,
    ...options.router,
  });
  let gatewayStarts = 0;
  const newDriver = () =>
    new DrachtioDriver({
      clock,
      drachtio: {
        mode: "connect",
        host: tel.drachtio.host,
        port: tel.drachtio.port,
        secret: tel.drachtio.secret,
      },
      freeswitch: {
        address: tel.freeswitch.address,
        port: tel.freeswitch.port,
        secret: tel.freeswitch.secret,
        listenAddress: "127.0.0.1",
      },
      sipDomain: "127.0.0.1",
      // The rig's callers (sipp, baresip) call from loopback: the carrier trunk of these tests.
      trunks: [{ name: "loopback", sources: ["127.0.0.0/8"] }],
      mediaDir,
      // Files uploaded through the admin API, read from the event store as `run` wires it.
      storedAudio: new EventStoreAudioLibrary({
        store: eventStore.store,
        blobs: eventStore.blobs,
        cacheDir: join(mediaDir, "stored"),
      }),
      log: () => {},
      ...options.driver,
    });
  const platform: SipPlatform = {
    schema,
    prefix,
    tel,
    sip: { host: "127.0.0.1", port: tel.drachtio.sipPort },
    mediaDir,
    router,
    gateway: undefined as unknown as MediaGateway,
    driver: undefined as unknown as DrachtioDriver,
    gatewayProcess: undefined,
    // Only eventStore, bus, clock and prefix are read by the harness helpers used with it (defineConfig,
    // signIn, presenceOf, endedCall); the simulated driver fields are never touched.
    e2e: {
      schema,
      prefix,
      eventStore,
      bus,
      buses,
      clock,
      realStart: clock.now(),
      startAt: clock.now(),
      router,
    } as unknown as E2EPlatform,
    async startGateway() {
      if (options.gatewayProcess) {
        const config: GatewayProcessConfig = {
          natsUrl: buses.urlOf("media-gateway"),
          prefix,
          gatewayId: SIP_GATEWAY,
          drachtio: { host: tel.drachtio.host, port: tel.drachtio.port, secret: tel.drachtio.secret },
          freeswitch: {
            address: tel.freeswitch.address,
            port: tel.freeswitch.port,
            secret: tel.freeswitch.secret,
          },
          mediaDir,
          ...(options.endpointsInFlight === undefined
            ? {}
            : { endpointsInFlight: options.endpointsInFlight }),
          ...(options.mediaRelease === undefined ? {} : { mediaRelease: options.mediaRelease }),
        };
        const logFile = join(tel.dir, `gateway-${++gatewayStarts}.log`);
        const proc = new ManagedProcess({
          name: "gateway",
          command: process.execPath,
          args: [
            // SWITCHYARD_SIP_GATEWAY_CPU_PROF=<dir>: a V8 CPU profile of the gateway process, written when it
            // stops (where its time goes under the load test).
            ...(process.env.SWITCHYARD_SIP_GATEWAY_CPU_PROF
              ? ["--cpu-prof", `--cpu-prof-dir=${process.env.SWITCHYARD_SIP_GATEWAY_CPU_PROF}`]
              : []),
            "--import",
            "tsx",
            GATEWAY_MAIN,
            JSON.stringify(config),
          ],
          cwd: REPO_ROOT,
          logFile,
        });
        platform.gatewayProcess = proc;
        await waitFor(`gateway process ready (log ${logFile})`, () => {
          if (!proc.running) throw new Error(`gateway process exited (${proc.exitCode}); see ${logFile}`);
          return readFileSync(logFile, "utf8").includes("gateway ready") ? true : undefined;
        });
        return;
      }
      const driver = newDriver();
      await driver.start();
      platform.driver = driver;
      platform.gateway = await startGateway({
        bus: await buses.busOf("media-gateway"),
        clock,
        driver,
        gatewayId: SIP_GATEWAY,
        log: () => {},
        ...options.gateway,
      });
    },
    async stopGateway() {
      if (platform.gatewayProcess) {
        await platform.gatewayProcess.stop("SIGTERM", 10_000);
        return;
      }
      await platform.gateway[Symbol.asyncDispose]();
      await platform.driver.close();
    },
    async killGateway() {
      const proc = platform.gatewayProcess;
      if (!proc) throw new Error("killGateway needs gatewayProcess: true");
      proc.killGroup("SIGKILL");
      await proc.exited;
    },
    async close({ keep = false } = {}) {
      await platform.gatewayProcess?.stop("SIGTERM", 10_000);
      await Promise.resolve(platform.gateway?.[Symbol.asyncDispose]()).catch(() => undefined);
      await platform.driver?.close().catch(() => undefined);
      await router[Symbol.asyncDispose]();
      await presence[Symbol.asyncDispose]();
      await relay[Symbol.asyncDispose]();
      await buses.close();
      await eventStore.close();
      await dropSchema(DATABASE_URL, schema);
      await tel.stop({ keep });
    },
  };
  await platform.startGateway();
  return platform;
}

/**
 * Every call stream in the platform's schema, read from PostgreSQL now. (Not `readAll`: a log follower only
 * reads below the cluster-wide snapshot xmin, which other suites' open transactions hold back.)
 */
/**
 * What the platform wrote: events and transactions (one per decision committed, or per batch of decisions
 * appended together), and events by stream category (`call`, `agent`, ...).
 */
export async function storeFootprint(
  p: SipPlatform,
): Promise<{ events: number; transactions: number; byCategory: Record<string, number> }> {
  const rows = await p.e2e.eventStore.db
    .selectFrom("events")
    .select(["stream_id", "transaction_id"])
    .execute();
  const byCategory: Record<string, number> = {};
  for (const r of rows) {
    const category = r.stream_id.split("-")[0] ?? r.stream_id;
    byCategory[category] = (byCategory[category] ?? 0) + 1;
  }
  return {
    events: rows.length,
    transactions: new Set(rows.map((r) => String(r.transaction_id))).size,
    byCategory,
  };
}

export async function allCalls(p: SipPlatform): Promise<Map<string, RecordedEvent[]>> {
  const rows = await p.e2e.eventStore.db
    .selectFrom("events")
    .select([
      "position",
      "stream_id",
      "stream_version",
      "event_id",
      "type",
      "data",
      "recorded_at",
      "transaction_id",
    ])
    .where("stream_id", "like", "call-%")
    .orderBy("stream_id")
    .orderBy("stream_version")
    .execute();
  const calls = new Map<string, RecordedEvent[]>();
  for (const r of rows) {
    const callId = r.stream_id.slice(5);
    const list = calls.get(callId) ?? [];
    list.push({
      position: BigInt(r.position),
      streamId: r.stream_id,
      streamVersion: r.stream_version,
      eventId: r.event_id,
      type: r.type,
      data: r.data,
      metadata: {},
      recordedAt: r.recorded_at,
      transactionId: BigInt(r.transaction_id),
    });
    calls.set(callId, list);
  }
  return calls;
}

/** The id of the call whose caller is `from` (the sipp caller's From user), once it started. */
export async function callFrom(p: SipPlatform, from: string): Promise<string> {
  return waitFor(`a call from ${from}`, async () => {
    for (const [callId, events] of await allCalls(p)) {
      const started = events.find((e) => e.type === "CallStarted");
      if ((started?.data as { from?: string } | undefined)?.from === from) return callId;
    }
    return undefined;
  });
}

export function stateOf(events: readonly RecordedEvent[]): CallState {
  return foldCall(events as unknown as CallEvent[]);
}

/** Waits until the call ended with every leg down, then checks its stream (one CallEnded, nothing after). */
export async function terminalCall(p: SipPlatform, callId: string, tries = 600): Promise<EndedCall> {
  const events = await waitFor(
    `call ${callId} to end`,
    async () => {
      const ev = await p.e2e.eventStore.store.readStream(`call-${callId}`);
      const state = stateOf(ev);
      return state.status === "ended" && Object.values(state.legs).every((l) => l.status === "ended")
        ? ev
        : undefined;
    },
    { tries, everyMs: 100 },
  );
  return checkTerminal(callId, events);
}

/** Connect settings of the SIP tests that check what the caller's line shows: its own number, no recording. */
export const CALLER_ID_PASSED = { callerId: { kind: "caller" }, record: "off" } as const;

/**
 * The set-up most SIP tests share: a Longest Idle group whose agents are lines of one sipp agent process, behind
 * a Connect flow on a number of its own (fallback: hang up), defined and signed in. Returns the number to call.
 */
export async function sippGroup(
  p: SipPlatform,
  agent: SippAgent,
  group: {
    readonly groupId: string;
    readonly agentIds: readonly string[];
    readonly ringTimeoutSec?: number;
    readonly connect?: Partial<Pick<ConnectApplet, "callerId" | "record">>;
  },
): Promise<string> {
  const { groupId, agentIds } = group;
  const flow = flowOnNumber(`${groupId}_flow`, "c", {
    c: {
      kind: "connect",
      target: { kind: "group", groupId },
      ...group.connect,
      branches: { fallback: "bye" },
    },
    bye: hangup,
  });
  await defineConfig(p.e2e, [
    ...agentIds.map((agentId) => ({
      type: "DefineAgent" as const,
      agentId,
      name: agentId,
      contact: { kind: "sip" as const, uri: agent.uri(agentId) },
      wrapUpSec: 0,
    })),
    {
      type: "DefineGroup",
      groupId,
      name: groupId,
      strategy: "longestIdle",
      members: [...agentIds],
      ringTimeoutSec: group.ringTimeoutSec ?? 10,
    },
    ...flow.commands,
  ]);
  await signIn(p.e2e, [...agentIds]);
  return flow.number;
}

/** `n` agent ids of a group: `<groupId>_0` … */
export function agentIdsOf(groupId: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${groupId}_${i}`);
}
