// `switchyard extract` and `switchyard whatif`: a recorded period read out of a deployment's event store
// (read-only) as a traffic file, and re-run on embedded defaults under the recorded configuration (the
// baseline) and under variants, compared side by side in the terminal and as a self-contained HTML page.
import { readFileSync, writeFileSync } from "node:fs";
import { loadRuntimeConfig, type RuntimeConfig } from "@switchyard/config";
import type { ContactCentre } from "@switchyard/contact-centre";
import { openEventLogReader, openEventStore, START } from "@switchyard/event-store";
import {
  type ConfigEvent,
  type ConfigSnapshot,
  decideConfig,
  EMPTY_CONFIG,
  evolveConfig,
} from "@switchyard/routing-domain";
import {
  applyVariant,
  baselineFidelity,
  commandsFor,
  comparisonHtml,
  type Distribution,
  type ExtractedDay,
  extractDay,
  formatComparison,
  type LoggedEvent,
  offerText,
  overlayFromSets,
  parseTraffic,
  planCalls,
  planPhones,
  type RunFigures,
  runFigures,
  TrafficConfigError,
  type TrafficModel,
  VariantError,
  withChanges,
} from "@switchyard/simulation";
import { parseDocument, parse as parseYaml, stringify } from "yaml";
import type { CliContext } from "./context.js";
import { runScenario } from "./simulate.js";

/** `--from`/`--to` missing or not dates, or no source for the recorded day. */
export class WhatIfUsageError extends Error {
  override readonly name = "WhatIfUsageError";
}

interface TimedEvent extends LoggedEvent {
  readonly recordedAt?: Date;
}

/** Every event of the deployment's log, read-only: PostgreSQL (`--database-url`) or a PGlite `--data-dir`. */
async function readRecordedLog(runtime: RuntimeConfig): Promise<TimedEvent[]> {
  if (runtime.databaseUrl !== undefined) {
    const reader = await openEventLogReader({ url: runtime.databaseUrl, schema: runtime.databaseSchema });
    try {
      return await reader.readLog();
    } finally {
      await reader.close();
    }
  }
  if (runtime.dataDir === undefined)
    throw new WhatIfUsageError(
      "the recorded day is read from --database-url URL (PostgreSQL, read-only) or --data-dir DIR (PGlite)",
    );
  const store = await openEventStore({
    pglite: { dataDir: runtime.dataDir },
    schema: runtime.databaseSchema,
  });
  try {
    const events: TimedEvent[] = [];
    let after = START;
    for (;;) {
      const page = await store.store.readAll(after, { limit: 5000 });
      if (page.events.length === 0) return events;
      events.push(...page.events);
      after = page.checkpoint;
    }
  } finally {
    await store.close();
  }
}

function dateFlag(ctx: CliContext, name: "from" | "to"): number {
  const v = ctx.flags[name];
  const ms = typeof v === "string" ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(ms))
    throw new WhatIfUsageError(`--${name} ISO-DATE-TIME is required (e.g. 2026-01-05T09:00:00Z)`);
  return ms;
}

/** The recorded period, from the database the flags name. */
async function extractFromDatabase(ctx: CliContext): Promise<{ day: ExtractedDay; events: TimedEvent[] }> {
  const from = dateFlag(ctx, "from");
  const to = dateFlag(ctx, "to");
  if (to <= from) throw new WhatIfUsageError("--to must be after --from");
  const runtime = loadRuntimeConfig({ flags: { ...ctx.flags, target: "router" }, env: ctx.env });
  const events = await readRecordedLog(runtime);
  const day = extractDay(events, {
    from,
    to,
    ...(typeof ctx.flags.seed === "string" ? { seed: ctx.flags.seed } : {}),
  });
  return { day, events };
}

// ---- the day file: the traffic section plus the recorded configuration and figures ----

function distributionYaml(d: Distribution): unknown {
  switch (d.kind) {
    case "fixed":
      return d.sec;
    case "exponential":
      return { exponential: d.meanSec };
    case "logNormal":
      return { logNormal: { meanSec: d.meanSec, sdSec: d.sdSec } };
    case "uniform":
      return { uniform: { minSec: d.minSec, maxSec: d.maxSec } };
    default:
      return d;
  }
}

/**
 * The day as YAML: `traffic` in the format of examples/traffic.yaml with the recorded callers (`calls`, one a
 * line) and agents' timelines; `recordedConfig`, the configuration the calls were routed with (the config
 * stream's snapshot); `recorded`, the recorded figures the baseline is judged against.
 */
export function dayFileText(day: ExtractedDay, recorded: RunFigures | undefined): string {
  const t = day.traffic;
  const agents: Record<string, unknown> = {
    default: {
      answerDelay: distributionYaml(t.agents.default.answerDelay),
      noAnswer: t.agents.default.noAnswer,
      busy: t.agents.default.busy,
      reject: t.agents.default.reject,
    },
  };
  for (const [id, b] of Object.entries(t.agents.byAgent))
    agents[id] = {
      answerDelay: distributionYaml(b.answerDelay),
      noAnswer: b.noAnswer,
      busy: b.busy,
      reject: b.reject,
    };
  const head = {
    seed: t.seed,
    startAt: t.startAt,
    minutes: t.durationSec / 60,
    serviceLevelSec: t.serviceLevelSec,
    arrivals: [],
    callers: {
      talkTime: distributionYaml(t.callers.talkTime),
      patience: t.callers.patience === undefined ? "never" : distributionYaml(t.callers.patience),
      voicemail: distributionYaml(t.callers.voicemail),
    },
    agents,
    agentTimeline: t.agentTimeline,
  };
  const offers = Object.entries(t.agentOffers ?? {}).map(
    ([id, list]) => `    ${JSON.stringify(id)}: ${JSON.stringify(list.map(offerText))}`,
  );
  const lines = [
    `# A recorded period, extracted by switchyard extract: ${day.summary.calls} calls from ${t.startAt}.`,
    "# traffic.calls: each caller (arrival second, number dialled, IVR digits, talk time if answered, patience",
    "# if they hung up unanswered, else waitedAtLeastSec: a lower bound on it). Edit freely; re-run with",
    "# switchyard whatif --traffic THIS_FILE [--variant FILE] [--set groups.ID.FIELD=VALUE].",
    "# A call's transfer: after afterSec of talk the agent who answers transfers it (warm: consults consultSec",
    "# first) to group:ID, agent:ID or a number, and the caller talks talkSec more. A call's callback: the caller",
    "# takes the queue's callback offer (afterSec: when they did); answers: their phone's answer to each call back.",
    stringify({ traffic: head }, { lineWidth: 0 }).trimEnd(),
    "  # agentOffers: what each agent's phone did with each offer, in order (seconds to answer, noAnswer, busy,",
    '  # "reject S", "?" where the offer was taken back first); replayed, then the fitted behaviour is drawn from.',
    offers.length === 0 ? "  agentOffers: {}" : "  agentOffers:",
    ...offers,
    "  calls:",
    ...(t.calls ?? []).map(
      (c) =>
        `    - ${JSON.stringify(c.callback ? { ...c, callback: { ...c.callback, answers: c.callback.answers.map(offerText) } } : c)}`,
    ),
    stringify({ recordedConfig: day.config }, { lineWidth: 0 }).trimEnd(),
  ];
  if (recorded)
    lines.push(stringify({ recorded: { ...recorded, calls: undefined } }, { lineWidth: 0 }).trimEnd());
  return `${lines.join("\n")}\n`;
}

/** Reads a day file back: the traffic (checked against the recorded configuration) and that configuration. */
function readDayFile(file: string): { traffic: TrafficModel; config: ConfigSnapshot; recorded?: RunFigures } {
  let doc: Record<string, unknown>;
  try {
    const parsed = parseDocument(readFileSync(file, "utf8"));
    if (parsed.errors.length > 0) throw new Error(parsed.errors[0]!.message.split("\n")[0]);
    doc = parsed.toJS() as Record<string, unknown>;
  } catch (error) {
    throw new TrafficConfigError(file, [
      { file, path: "", reason: `cannot read: ${(error as Error).message}` },
    ]);
  }
  const config = doc?.recordedConfig as ConfigSnapshot | undefined;
  if (!config || typeof config !== "object" || !config.numbers)
    throw new TrafficConfigError(file, [
      { file, path: "recordedConfig", reason: "missing: write the file with switchyard extract" },
    ]);
  const traffic = parseTraffic({ traffic: doc.traffic }, file, config);
  const recorded = doc.recorded as RunFigures | undefined;
  return { traffic, config, ...(recorded ? { recorded: { ...recorded, calls: [] } } : {}) };
}

/** A contact centre (what `simulate` loads from YAML) from a configuration snapshot. */
export function contactCentreOf(config: ConfigSnapshot, file: string): ContactCentre {
  const commands = commandsFor(config);
  const events: ConfigEvent[] = [];
  let state = EMPTY_CONFIG;
  for (const command of commands)
    for (const e of decideConfig(command, state)) {
      events.push(e);
      state = evolveConfig(state, e);
    }
  return {
    file,
    commands,
    events,
    snapshot: state,
    businessNumbers: Object.keys(config.numbers),
    warnings: [],
  };
}

/**
 * The recorded figures over the window a re-run covers: the period, or until its last call ended if later
 * (signed-in time, hence occupancy, is counted up to there; the log's later events are another day's).
 */
function recordedFigures(
  day: ExtractedDay,
  events: readonly TimedEvent[],
  from: number,
  to: number,
): RunFigures {
  const ours = new Set<string>();
  let until = to;
  for (const e of events) {
    const at = (e.data as { at?: unknown } | undefined)?.at;
    if (typeof at !== "number") continue;
    if (e.type === "CallStarted" && at >= from && at < to) ours.add(e.streamId);
    else if (e.type === "CallEnded" && ours.has(e.streamId)) until = Math.max(until, at);
  }
  return runFigures("recorded", events, day.config, {
    since: from,
    until,
    serviceLevelSec: day.traffic.serviceLevelSec,
  });
}

/** `switchyard extract --from ISO --to ISO (--database-url URL | --data-dir DIR) [--out FILE]`. */
export async function runExtract(ctx: CliContext): Promise<number> {
  const { day, events } = await extractFromDatabase(ctx);
  const recorded = recordedFigures(day, events, dateFlag(ctx, "from"), dateFlag(ctx, "to"));
  const text = dayFileText(day, recorded);
  const out = typeof ctx.flags.out === "string" ? ctx.flags.out : undefined;
  const s = day.summary;
  const say = out === undefined ? ctx.err : ctx.out;
  say(
    `extracted ${s.calls} calls (${s.answered} answered, ${s.abandoned} abandoned), ${s.rings} rings of ` +
      `${Object.keys(day.config.agents).length} agents; configuration version ${day.config.version}`,
  );
  if (out === undefined) process.stdout.write(text);
  else {
    writeFileSync(out, text);
    ctx.out(`traffic file written to ${out}`);
  }
  return 0;
}

/**
 * `switchyard whatif (--traffic DAY.yaml | --from ISO --to ISO (--database-url URL | --data-dir DIR))
 *   [--variant FILE]... [--set path=value]... [--html FILE] [--json FILE]`.
 */
export async function runWhatIf(ctx: CliContext): Promise<number> {
  const lines = (v: unknown) => (typeof v === "string" ? v.split("\n").filter((x) => x.trim() !== "") : []);
  // Every input is checked before anything runs.
  let traffic: TrafficModel;
  let config: ConfigSnapshot;
  let recorded: RunFigures | undefined;
  let source: string;
  if (typeof ctx.flags.traffic === "string") {
    ({ traffic, config, recorded } = readDayFile(ctx.flags.traffic));
    source = ctx.flags.traffic;
  } else {
    const { day, events } = await extractFromDatabase(ctx);
    traffic = day.traffic;
    config = day.config;
    recorded = recordedFigures(day, events, dateFlag(ctx, "from"), dateFlag(ctx, "to"));
    source = `${String(ctx.flags.from)} to ${String(ctx.flags.to)}`;
  }
  const variants: Array<{ name: string; config: ConfigSnapshot }> = [];
  for (const file of lines(ctx.flags.variant)) {
    let overlay: unknown;
    try {
      overlay = parseYaml(readFileSync(file, "utf8"));
    } catch (error) {
      throw new VariantError(`${file}: ${(error as Error).message.split("\n")[0]}`);
    }
    const name =
      overlay && typeof overlay === "object" && typeof (overlay as { name?: unknown }).name === "string"
        ? (overlay as { name: string }).name
        : file;
    try {
      variants.push({ name, config: applyVariant(config, overlay) });
    } catch (error) {
      throw new VariantError(`${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  const sets = lines(ctx.flags.set);
  if (sets.length > 0)
    variants.push({ name: sets.join(", "), config: applyVariant(config, overlayFromSets(sets, parseYaml)) });
  if (variants.length === 0) ctx.out("whatif: no --variant or --set given: only the baseline is re-run");
  const startAt = traffic.startAt === undefined ? Date.now() : Date.parse(traffic.startAt);

  // Re-runs on embedded defaults whatever the recorded day came from: a private nats-server, and the events
  // kept in this process's memory (nothing reads them after the run; SQL would be most of its cost), or with
  // `--store pglite` in an in-memory PGlite database.
  const store = ctx.flags.store ?? "memory";
  if (store !== "memory" && store !== "pglite")
    throw new WhatIfUsageError(`--store must be memory or pglite, not ${String(store)}`);
  const env = { ...ctx.env };
  for (const k of ["DATABASE_URL", "NATS_URL", "SWITCHYARD_DATA_DIR", "SWITCHYARD_CONFIG", "DATABASE_SCHEMA"])
    delete env[k];
  const runtime = loadRuntimeConfig({ flags: { target: "router,agent-presence,relay" }, env });
  const progress = ctx.flags.progress === true;
  const runs: RunFigures[] = [];
  const wall: string[] = [];
  for (const [i, run] of [{ name: "baseline", config }, ...variants].entries()) {
    const cc = contactCentreOf(run.config, `${source} (${run.name})`);
    const calls = planCalls(traffic, cc.snapshot);
    ctx.out(`whatif: run ${i + 1}/${variants.length + 1}, ${run.name}: ${calls.length} calls`);
    const t0 = performance.now();
    const result = await runScenario({
      cc,
      traffic,
      runtime,
      calls,
      phones: planPhones(traffic, cc.snapshot),
      signal: ctx.signal,
      out: progress ? ctx.out : () => {},
      startAt,
      progress,
      onProbeError: (err) => ctx.err(`virtual clock: the platform could not be observed: ${String(err)}`),
      memoryStore: store === "memory",
    });
    if (ctx.signal.aborted) {
      ctx.err("whatif: interrupted");
      return 1;
    }
    const realSec = (performance.now() - t0) / 1000;
    wall.push(`${run.name}: ${realSec.toFixed(1)} s`);
    if (!result.relayOk || result.stats.arrived !== result.placed) {
      ctx.err(
        `whatif: the ${run.name} run did not complete (${result.stats.arrived}/${result.placed} calls stored)`,
      );
      return 1;
    }
    const figures = runFigures(run.name, result.stored, cc.snapshot, {
      since: result.startAt,
      until: result.stats.until,
      serviceLevelSec: traffic.serviceLevelSec,
    });
    runs.push(runs.length === 0 ? figures : withChanges(runs[0]!, figures));
    ctx.out(
      `  done in ${realSec.toFixed(1)} s real time: ${result.stats.arrived} calls, answer rate ` +
        `${(figures.overall.answerRate * 100).toFixed(1)}%, ASA ${figures.overall.averageSpeedOfAnswerSec.toFixed(1)} s`,
    );
  }
  const all = recorded ? [recorded, ...runs] : runs;
  ctx.out("whatif comparison (recorded day, baseline re-run under the recorded configuration, variants):");
  for (const line of formatComparison(all)) ctx.out(line);
  const fidelity = recorded && runs[0] ? baselineFidelity(recorded, runs[0]) : [];
  if (fidelity.length > 0) {
    ctx.out("how closely the baseline reproduced the recorded day (recorded → baseline):");
    for (const line of fidelity) ctx.out(`  ${line}`);
  }
  const notes = [
    `recorded period: ${source}, ${traffic.calls?.length ?? 0} recorded calls from ${traffic.startAt ?? "now"}`,
    "baseline: the recorded traffic re-run under the recorded configuration; variants: the same callers under another configuration",
    "changed outcome: calls (same arrival, same caller) answered, abandoned, sent to voicemail... differently from the baseline",
    `re-run times (real): ${wall.join("; ")}`,
    ...fidelity.map((line) => `baseline against the recording, ${line}`),
  ];
  if (typeof ctx.flags.html === "string") {
    writeFileSync(ctx.flags.html, comparisonHtml(all, { title: `What-if: ${source}`, notes }));
    ctx.out(`whatif: HTML report written to ${ctx.flags.html}`);
  }
  if (typeof ctx.flags["json-out"] === "string") {
    writeFileSync(ctx.flags["json-out"], `${JSON.stringify({ runs: all }, null, 1)}\n`);
    ctx.out(`whatif: figures written to ${ctx.flags["json-out"]}`);
  }
  return 0;
}
