// sipp as the rig's SIP callers and agents. Every run is bounded (-m / -timeout for callers, -timeout and a
// SIGINT stop for agents), writes its scenario, statistics (CSV), message log and an events file into the run's
// directory, and reports what happened per call (parsed events) and in total (the last CSV line).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./ports.js";
import { ManagedProcess, waitFor } from "./processes.js";
import {
  type AgentBehaviour,
  agentScenario,
  type CallerPlan,
  callerScenario,
  type DigestCallerPlan,
  digestCallerScenario,
  EVENT_SCRIPT,
} from "./sipp-scenarios.js";

export type { AgentBehaviour, CallerPlan, DigestCallerPlan, DtmfPlan } from "./sipp-scenarios.js";

export class SippError extends Error {
  override name = "SippError";
}

export interface SippEvent {
  /** Epoch milliseconds (from the machine's clock when sipp reached the step; for reports, not assertions). */
  readonly at: number;
  readonly callId: string;
  readonly event: string;
  readonly detail: string;
}

export interface SippStats {
  readonly created: number;
  readonly successful: number;
  readonly failed: number;
  readonly raw: Readonly<Record<string, string>>;
}

export interface SippResult {
  /** 0: every call succeeded; 1: some failed; 97/99: stopped by signal/command; -1/-2 (255/254): fatal. */
  readonly exitCode: number | string;
  readonly stats: SippStats | undefined;
  readonly events: readonly SippEvent[];
  readonly calls: ReadonlyMap<string, readonly SippEvent[]>;
  readonly dir: string;
  /** The run's message log, parsed (every SIP message sent and received, with times). */
  messages?(): SippMessage[];
}

export function readEvents(file: string): SippEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line) => {
      const [at = "0", callId = "", event = "", ...rest] = line.split("\t");
      return { at: Number(at), callId, event, detail: rest.join("\t") };
    });
}

export function byCall(events: readonly SippEvent[]): Map<string, SippEvent[]> {
  const calls = new Map<string, SippEvent[]>();
  for (const e of events) {
    const list = calls.get(e.callId) ?? [];
    list.push(e);
    calls.set(e.callId, list);
  }
  return calls;
}

export function readStats(file: string): SippStats | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const header = lines[0]?.split(";");
  const last = lines.at(-1)?.split(";");
  if (header === undefined || last === undefined || lines.length < 2) return undefined;
  const raw: Record<string, string> = {};
  header.forEach((h, i) => {
    raw[h] = last[i] ?? "";
  });
  const n = (k: string) => Number(raw[k] ?? "0");
  return {
    created: n("TotalCallCreated"),
    successful: n("SuccessfulCall(C)"),
    failed: n("FailedCall(C)"),
    raw,
  };
}

interface SippFiles {
  readonly dir: string;
  readonly scenario: string;
  readonly events: string;
  readonly stats: string;
  readonly messages: string;
  readonly errors: string;
  readonly log: string;
}

function files(parent: string, name: string): SippFiles {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "event.sh"), EVENT_SCRIPT, { mode: 0o755 });
  return {
    dir,
    scenario: join(dir, "scenario.xml"),
    events: join(dir, "events.tsv"),
    stats: join(dir, "stats.csv"),
    messages: join(dir, "messages.log"),
    errors: join(dir, "errors.log"),
    log: join(dir, "sipp.out"),
  };
}

async function commonArgs(f: SippFiles, port: number, localIp = "127.0.0.1"): Promise<string[]> {
  const mediaPort = await freePort(4);
  return [
    "-sf",
    f.scenario,
    "-i",
    localIp,
    "-p",
    String(port),
    "-mp",
    String(mediaPort),
    "-mi",
    "127.0.0.1",
    "-nostdin",
    "-aa",
    "-trace_stat",
    "-stf",
    f.stats,
    "-fd",
    "1",
    "-trace_msg",
    "-message_file",
    f.messages,
    "-trace_err",
    "-error_file",
    f.errors,
    // A loaded machine (2 shared cores) delays sipp's timers: count it, do not abort the run for it.
    "-watchdog_major_maxtriggers",
    "1000000",
    "-watchdog_minor_maxtriggers",
    "1000000",
  ];
}

/** sipp could not bind its SIP or media socket (it exits before sending anything). */
function bindFailed(logFile: string): boolean {
  return existsSync(logFile) && /Unable to bind/i.test(readFileSync(logFile, "utf8"));
}

function result(f: SippFiles, exitCode: number | string): SippResult {
  const events = readEvents(f.events);
  return {
    exitCode,
    stats: readStats(f.stats),
    events,
    calls: byCall(events),
    dir: f.dir,
    messages: () => readMessages(f.messages),
  };
}

export interface SippMessage {
  /** Epoch ms (sipp writes local time with microseconds; this machine's clock). */
  readonly at: number;
  readonly direction: "sent" | "received";
  /** Request method, or "SIP/2.0" for a response. */
  readonly method: string;
  /** Response status (0 for a request). */
  readonly status: number;
  /** Method of the CSeq (which transaction a response belongs to). */
  readonly cseqMethod: string;
  readonly callId: string;
  /** User part of the From URI. */
  readonly fromUser: string;
}

/** sipp's message log (-trace_msg), complete once sipp has exited. */
export function readMessages(file: string): SippMessage[] {
  if (!existsSync(file)) return [];
  const out: SippMessage[] = [];
  const blocks = readFileSync(file, "utf8").split(/^-{20,} /m);
  for (const block of blocks) {
    const head = /^(\d{4}-\d\d-\d\d)[ \t]+(\d\d:\d\d:\d\d)\.(\d+)/.exec(block);
    const dir = /(?:UDP|TCP) message (sent|received)/.exec(block);
    if (!head || !dir) continue;
    const lines = block.split(/\r?\n/);
    const startIdx = lines.findIndex(
      (l, i) => i > 1 && l.trim() !== "" && !/message (sent|received)/.test(l),
    );
    const first = lines[startIdx] ?? "";
    const header = (name: string) =>
      lines
        .find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
        ?.slice(name.length + 1)
        .trim() ?? "";
    const status = first.startsWith("SIP/2.0") ? Number(first.split(" ")[1]) : 0;
    out.push({
      at: new Date(`${head[1]}T${head[2]}.${head[3]!.slice(0, 3)}`).getTime(),
      direction: dir[1] as "sent" | "received",
      method: first.split(" ")[0] ?? "",
      status,
      cseqMethod: header("CSeq").split(" ")[1] ?? "",
      callId: header("Call-ID"),
      fromUser: /sip:([^@;>]+)@/.exec(header("From"))?.[1] ?? "",
    });
  }
  return out;
}

export interface SippAgent {
  readonly name: string;
  readonly port: number;
  /** SIP URI to ring this agent (any user part reaches the same sipp). */
  uri(user?: string): string;
  /** Events so far (live: read from the events file). */
  events(): SippEvent[];
  calls(): Map<string, SippEvent[]>;
  stop(): Promise<SippResult>;
}

/** A sipp UAS that treats every INVITE per `behaviour`; runs until stop() (bounded by `maxSec`). */
export async function startSippAgent(options: {
  dir: string;
  name: string;
  behaviour: AgentBehaviour;
  maxSec?: number;
  /** false: no per-call events file (for load; read the message log instead). Default true. */
  events?: boolean;
}): Promise<SippAgent> {
  const f = files(options.dir, options.name);
  writeFileSync(
    f.scenario,
    agentScenario(options.behaviour, options.events === false ? undefined : f.events),
  );
  const port = await freePort();
  const args = [
    ...(await commonArgs(f, port)),
    "-timeout",
    `${options.maxSec ?? 1_800}s`,
    // A phone ignores a message it has no use for. The scenario's optional steps absorb a retransmitted INVITE
    // where the agent waits, but not while it sits on a send step (just after a timeout jumped to its answer):
    // there sipp aborted the call as "unexpected" and the leg never connected (the restart e2e test, in CI).
    "-default_behaviors",
    "all,-abortunexp",
  ];
  const proc = new ManagedProcess({ name: `sipp-${options.name}`, command: "sipp", args, logFile: f.log });
  // sipp is listening once its stats file exists (it writes the header at start).
  await waitFor(`sipp agent ${options.name} on port ${port}`, () => {
    if (!proc.running)
      throw new SippError(`sipp agent ${options.name} exited (${proc.exitCode}); see ${f.log}`);
    return existsSync(f.stats) ? true : undefined;
  });
  return {
    name: options.name,
    port,
    uri: (user = options.name) => `sip:${user}@127.0.0.1:${port}`,
    events: () => readEvents(f.events),
    calls: () => byCall(readEvents(f.events)),
    async stop() {
      // SIGINT: sipp ends its calls and writes the final statistics and message log.
      const code = await proc.stop("SIGINT", 5_000);
      return result(f, code);
    },
  };
}

export interface SippCallerRun {
  readonly name: string;
  /** Live events so far. */
  events(): SippEvent[];
  readonly done: Promise<SippResult>;
  /** Ends the run early (SIGINT). */
  stop(): Promise<SippResult>;
}

/** A sipp UAC placing `calls` calls to sip:<service>@<target> at `rate` per second, then exiting. */
export async function startSippCallers(options: {
  dir: string;
  name: string;
  target: { host: string; port: number };
  /** Request-URI user part: the number dialled. */
  service: string;
  /** A digest plan runs the digest caller scenario (answers a 401 challenge with the credentials). */
  plan: CallerPlan | DigestCallerPlan;
  /**
   * Source address of the INVITEs (any 127.0.0.0/8 address on Linux): several callers can come from distinct
   * sources on one machine, as trunks and phones do. Default 127.0.0.1.
   */
  localIp?: string;
  calls?: number;
  rate?: number;
  /** Concurrent calls at most. */
  limit?: number;
  /** The whole run ends after this (bounds a hang). */
  timeoutSec?: number;
  /** false: no per-call events file (for load; read the message log instead). Default true. */
  events?: boolean;
}): Promise<SippCallerRun> {
  const f = files(options.dir, options.name);
  const eventsFile = options.events === false ? undefined : f.events;
  writeFileSync(
    f.scenario,
    "digest" in options.plan
      ? digestCallerScenario(options.plan, eventsFile)
      : callerScenario(options.plan, eventsFile),
  );
  const calls = options.calls ?? 1;
  const argsOn = async (port: number) => [
    ...(await commonArgs(f, port, options.localIp)),
    // The digest is over the Request-URI, as a phone computes it (sipp's default is remote_ip:remote_port).
    ...("digest" in options.plan
      ? ["-auth_uri", `${options.service}@${options.target.host}:${options.target.port}`]
      : []),
    `${options.target.host}:${options.target.port}`,
    "-s",
    options.service,
    "-m",
    String(calls),
    "-r",
    String(options.rate ?? 1),
    "-rp",
    "1000",
    "-l",
    String(options.limit ?? Math.max(calls, 1)),
    "-timeout",
    `${options.timeoutSec ?? 120}s`,
    "-timeout_error",
  ];
  let proc: ManagedProcess | undefined;
  // A port checked free can be taken by another process before sipp binds it (tests run in parallel): sipp
  // then exits at once with "Unable to bind"; take other ports and start again rather than lose the run.
  const run = async (): Promise<SippResult> => {
    for (let attempt = 1; ; attempt++) {
      const started = new ManagedProcess({
        name: `sipp-${options.name}`,
        command: "sipp",
        args: await argsOn(await freePort()),
        logFile: attempt === 1 ? f.log : `${f.log}.${attempt}`,
      });
      proc = started;
      const code = await started.exited;
      if (attempt >= 3 || !bindFailed(started.logFile)) return result(f, code);
    }
  };
  const done = run();
  return {
    name: options.name,
    events: () => readEvents(f.events),
    done,
    async stop() {
      await proc?.stop("SIGINT", 5_000);
      return done;
    },
  };
}

export async function runSippCallers(options: Parameters<typeof startSippCallers>[0]): Promise<SippResult> {
  return (await startSippCallers(options)).done;
}
