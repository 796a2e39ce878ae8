// What-if comparison: the figures of each run of one recorded day (the recording itself, the baseline re-run,
// each variant), per group and overall, and what changed between them, as a terminal table and as a
// self-contained HTML page (inline SVG charts, no script, no server).
import type { ConfigSnapshot } from "@switchyard/routing-domain";
import { type CallFigures, computeStatistics, type LoggedEvent, type Statistics } from "./statistics.js";

export interface Figures extends CallFigures {
  /** Agents' talk time over their signed-in time. */
  readonly occupancy: number;
  /** Gini coefficient of calls handled per agent (0: all the same). */
  readonly gini: number;
  /** Calls whose outcome differs from the baseline's (variants only). */
  readonly changedOutcome?: number;
  /** Overall only: transfers agents started and completed, callbacks callers asked for and got. */
  readonly transfersRequested?: number;
  readonly transfersCompleted?: number;
  readonly callbacksRequested?: number;
  readonly callbacksCompleted?: number;
}

export interface CallOutcome {
  /** Arrival second and caller: the same caller in every run of the day. */
  readonly key: string;
  readonly startSec: number;
  /** The group (or other Connect target) the call first went to. */
  readonly group?: string;
  /** Seconds from entering Connect to the answer (answered calls). */
  readonly waitSec?: number;
  /** answered, abandoned, voicemail, or how the call ended. */
  readonly outcome: string;
}

export interface RunFigures {
  readonly name: string;
  readonly overall: Figures;
  readonly groups: Readonly<Record<string, Figures & { readonly label: string }>>;
  readonly agents: ReadonlyArray<{
    readonly agentId: string;
    readonly handled: number;
    readonly utilisation: number;
  }>;
  readonly calls: readonly CallOutcome[];
  /** Callers queued, sampled over the period: [second, count]. */
  readonly queueLength: ReadonlyArray<readonly [number, number]>;
}

type Data = Record<string, unknown>;

/** The figures of one run (events in log order; calls that started at `since` or later). */
export function runFigures(
  name: string,
  events: readonly LoggedEvent[],
  config: ConfigSnapshot,
  options: { readonly since: number; readonly until?: number; readonly serviceLevelSec: number },
): RunFigures {
  const stats = computeStatistics(events, config, options);
  const calls = callOutcomes(events, config, options.since);
  const agentsOf = (groupId?: string) =>
    stats.agents.filter(
      (a) => groupId === undefined || (config.groups[groupId]?.members ?? []).includes(a.agentId),
    );
  const extra = (groupId?: string) => {
    const agents = agentsOf(groupId);
    const talk = agents.reduce((s, a) => s + a.talkSec, 0);
    const signedIn = agents.reduce((s, a) => s + a.signedInSec, 0);
    return { occupancy: signedIn > 0 ? talk / signedIn : 0, gini: gini(agents.map((a) => a.handled)) };
  };
  const groups: Record<string, Figures & { label: string }> = {};
  for (const g of stats.groups) groups[g.key] = { ...g, ...extra(config.groups[g.key] ? g.key : "-") };
  return {
    name,
    overall: {
      ...stats.calls,
      ...extra(),
      ...transferCounts(events, options.since),
      callbacksRequested: stats.callbacks.accepted,
      callbacksCompleted: stats.callbacks.completed,
    },
    groups,
    agents: stats.agents.map((a) => ({ agentId: a.agentId, handled: a.handled, utilisation: a.utilisation })),
    calls,
    queueLength: queueSeries(events, options.since, stats),
  };
}

/** Transfers requested and completed on the calls that started at `since` or later. */
function transferCounts(
  events: readonly LoggedEvent[],
  since: number,
): { transfersRequested: number; transfersCompleted: number } {
  const ours = new Set<string>();
  let transfersRequested = 0;
  let transfersCompleted = 0;
  for (const e of events) {
    if (e.type === "CallStarted") {
      const at = (e.data as Data | undefined)?.at;
      if (typeof at === "number" && at >= since) ours.add(e.streamId);
    } else if (ours.has(e.streamId)) {
      if (e.type === "TransferRequested") transfersRequested += 1;
      else if (e.type === "TransferCompleted") transfersCompleted += 1;
    }
  }
  return { transfersRequested, transfersCompleted };
}

/** Marks in each variant the calls whose outcome differs from the baseline's, overall and per first group. */
export function withChanges(baseline: RunFigures, variant: RunFigures): RunFigures {
  const before = new Map(baseline.calls.map((c) => [c.key, c]));
  const changed = variant.calls.filter((c) => before.get(c.key)?.outcome !== c.outcome);
  const gone = baseline.calls.filter((c) => !variant.calls.some((v) => v.key === c.key)).length;
  const groups: Record<string, Figures & { label: string }> = {};
  for (const [key, g] of Object.entries(variant.groups))
    groups[key] = {
      ...g,
      changedOutcome: changed.filter((c) => (before.get(c.key)?.group ?? c.group) === key).length,
    };
  return { ...variant, overall: { ...variant.overall, changedOutcome: changed.length + gone }, groups };
}

/** Per-call outcomes, keyed by arrival and caller. */
export function callOutcomes(
  events: readonly LoggedEvent[],
  config: ConfigSnapshot,
  since: number,
): CallOutcome[] {
  interface Track {
    startAt: number;
    flowId: string;
    from: string;
    group?: string;
    connectAt?: number;
    inConnect: boolean;
    inQueue: boolean;
    answeredAt?: number;
    voicemail: boolean;
    outcome?: string;
  }
  const calls = new Map<string, Track>();
  for (const e of events) {
    if (!e.streamId.startsWith("call-")) continue;
    const d = (e.data ?? {}) as Data;
    const id = e.streamId.slice(5);
    if (e.type === "CallStarted") {
      if (typeof d.at === "number" && d.at >= since)
        calls.set(id, {
          startAt: d.at,
          flowId: String(d.flowId),
          from: String(d.from),
          inConnect: false,
          inQueue: false,
          voicemail: false,
        });
      continue;
    }
    const c = calls.get(id);
    if (!c) continue;
    switch (e.type) {
      case "AppletEntered":
        c.inConnect = d.kind === "connect";
        if (c.inConnect) {
          c.connectAt ??= d.at as number;
          const applet = config.flows[c.flowId]?.applets[String(d.appletId)];
          if (applet?.kind === "connect" && applet.target.kind === "group") c.group ??= applet.target.groupId;
        }
        break;
      case "LegsBridged":
        if (c.inConnect && c.answeredAt === undefined) c.answeredAt = d.at as number;
        break;
      case "VoicemailRecordingStarted":
        c.voicemail = true;
        break;
      case "CallEnded":
        c.outcome =
          c.answeredAt !== undefined
            ? "answered"
            : c.voicemail
              ? "voicemail"
              : d.reason === "callerHungUp"
                ? "abandoned"
                : String(d.reason);
        break;
      default:
        break;
    }
  }
  return [...calls.values()]
    .map((c) => {
      const startSec = (c.startAt - since) / 1000;
      return {
        key: `${startSec.toFixed(1)}|${c.from}`,
        startSec,
        ...(c.group === undefined ? {} : { group: c.group }),
        ...(c.answeredAt !== undefined && c.connectAt !== undefined
          ? { waitSec: (c.answeredAt - c.connectAt) / 1000 }
          : {}),
        outcome: c.outcome ?? (c.answeredAt !== undefined ? "answered" : "in progress"),
      };
    })
    .sort((a, b) => a.startSec - b.startSec || a.key.localeCompare(b.key));
}

/** Callers in a queue over the period, sampled at 120 points (the maximum within each interval). */
function queueSeries(
  events: readonly LoggedEvent[],
  since: number,
  stats: Statistics,
): Array<readonly [number, number]> {
  const changes: Array<[number, number]> = [];
  const queued = new Set<string>();
  const last = new Map<string, number>();
  for (const e of events) {
    if (!e.streamId.startsWith("call-")) continue;
    const d = (e.data ?? {}) as Data;
    const at = typeof d.at === "number" ? d.at : (last.get(e.streamId) ?? since);
    last.set(e.streamId, at);
    if (at < since) continue;
    if (e.type === "CallerEnqueued" && !queued.has(e.streamId)) {
      queued.add(e.streamId);
      changes.push([typeof d.enqueuedAt === "number" ? d.enqueuedAt : at, 1]);
    } else if ((e.type === "CallerDequeued" || e.type === "CallEnded") && queued.delete(e.streamId))
      changes.push([at, -1]);
  }
  changes.sort((a, b) => a[0] - b[0]);
  const end = Math.max(stats.until, since + 1000);
  const points = 120;
  const step = (end - since) / points;
  const out: Array<readonly [number, number]> = [];
  let n = 0;
  let i = 0;
  for (let k = 0; k < points; k++) {
    const until = since + (k + 1) * step;
    let max = n;
    while (i < changes.length && changes[i]![0] < until) {
      n += changes[i]![1];
      max = Math.max(max, n);
      i++;
    }
    out.push([Math.round((k * step) / 1000), max]);
  }
  return out;
}

/** Gini coefficient of non-negative counts (0 when all are equal or there are none). */
export function gini(xs: readonly number[]): number {
  const n = xs.length;
  const total = xs.reduce((a, b) => a + b, 0);
  if (n === 0 || total === 0) return 0;
  let diff = 0;
  for (const a of xs) for (const b of xs) diff += Math.abs(a - b);
  return diff / (2 * n * total);
}

// ---- output ----

const METRICS: ReadonlyArray<{
  readonly label: string;
  readonly get: (f: Figures) => number | undefined;
  readonly fmt: (x: number) => string;
}> = [
  { label: "offered", get: (f) => f.offered, fmt: (x) => String(x) },
  { label: "answer rate", get: (f) => f.answerRate, fmt: pct },
  { label: "ASA", get: (f) => f.averageSpeedOfAnswerSec, fmt: (x) => `${x.toFixed(1)} s` },
  { label: "service level", get: (f) => f.serviceLevel, fmt: pct },
  { label: "abandoned", get: (f) => f.abandonmentRate, fmt: pct },
  { label: "P(wait)", get: (f) => f.waitedShare, fmt: pct },
  { label: "occupancy", get: (f) => f.occupancy, fmt: pct },
  { label: "Gini calls/agent", get: (f) => f.gini, fmt: (x) => x.toFixed(2) },
  { label: "changed outcome", get: (f) => f.changedOutcome, fmt: (x) => String(x) },
  { label: "transfers started", get: (f) => f.transfersRequested, fmt: (x) => String(x) },
  { label: "transfers completed", get: (f) => f.transfersCompleted, fmt: (x) => String(x) },
  { label: "callbacks requested", get: (f) => f.callbacksRequested, fmt: (x) => String(x) },
  { label: "callbacks completed", get: (f) => f.callbacksCompleted, fmt: (x) => String(x) },
];

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Sections (overall, then each group) of rows: metric, then one cell per run. */
function sections(runs: readonly RunFigures[]): Array<{ title: string; rows: string[][] }> {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.groups)))].sort();
  const section = (title: string, pick: (r: RunFigures) => Figures | undefined) => ({
    title,
    rows: METRICS.map((m) => [
      m.label,
      ...runs.map((r) => {
        const f = pick(r);
        const v = f === undefined ? undefined : m.get(f);
        return v === undefined ? "" : m.fmt(v);
      }),
      // A metric no run has here (the overall-only counts in a group's table) is left out.
    ]).filter((row) => row.slice(1).some((cell) => cell !== "")),
  });
  return [
    section("overall", (r) => r.overall),
    ...keys.map((k) => section(runs.find((r) => r.groups[k])?.groups[k]?.label ?? k, (r) => r.groups[k])),
  ];
}

/** The comparison as terminal lines: one table per group and overall, a column per run. */
export function formatComparison(runs: readonly RunFigures[]): string[] {
  const lines: string[] = [];
  // Long variant names (a list of --set overrides) get a short column title and a line of their own.
  let n = 0;
  const titles = runs.map((r) => (r.name.length <= 20 ? r.name : `variant ${++n}`));
  runs.forEach((r, i) => {
    if (titles[i] !== r.name) lines.push(`  ${titles[i]}: ${r.name}`);
  });
  for (const s of sections(runs)) {
    const header = [s.title, ...titles];
    const widths = header.map((h, i) => Math.max(h.length, ...s.rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: readonly string[]) =>
      `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`;
    lines.push(line(header), ...s.rows.map(line));
  }
  return lines;
}

/**
 * How closely the baseline re-run reproduced the recording, overall and per group: each figure recorded →
 * re-run, with the difference (percentage points for shares, seconds for ASA). Groups with no recorded calls
 * are left out.
 */
export function baselineFidelity(recorded: RunFigures, baseline: RunFigures): string[] {
  // Differences of the figures as shown (to a tenth), so that the two sides and the difference agree.
  const tenth = (x: number) => Math.round(x * 10) / 10;
  const change = (a: number, b: number) => {
    const d = tenth(tenth(b) - tenth(a));
    return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(1)}`;
  };
  const points = (a: number, b: number) => `${pct(a)} → ${pct(b)} (${change(a * 100, b * 100)} points)`;
  const line = (title: string, r: Figures, b: Figures) =>
    `${title}: ${r.offered} → ${b.offered} calls; answer rate ${points(r.answerRate, b.answerRate)}; ` +
    `ASA ${r.averageSpeedOfAnswerSec.toFixed(1)} → ${b.averageSpeedOfAnswerSec.toFixed(1)} s ` +
    `(${change(r.averageSpeedOfAnswerSec, b.averageSpeedOfAnswerSec)} s); P(wait) ${points(r.waitedShare, b.waitedShare)}; ` +
    `abandoned ${points(r.abandonmentRate, b.abandonmentRate)}; occupancy ${points(r.occupancy, b.occupancy)}`;
  const lines = [line("overall", recorded.overall, baseline.overall)];
  for (const [key, r] of Object.entries(recorded.groups)) {
    const b = baseline.groups[key];
    if (b && r.offered > 0) lines.push(line(r.label, r, b));
  }
  return lines;
}

const COLOURS = ["#555555", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A line chart as inline SVG: one polyline per series. */
function lineChart(
  title: string,
  xLabel: string,
  yLabel: string,
  series: ReadonlyArray<{ readonly name: string; readonly points: ReadonlyArray<readonly [number, number]> }>,
  options: { readonly step?: boolean; readonly yMax?: number } = {},
): string {
  const w = 640;
  const h = 260;
  const m = { l: 50, r: 10, t: 24, b: 36 };
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  const yMax = options.yMax ?? Math.max(1, ...all.map((p) => p[1]));
  const x = (v: number) => m.l + (v / xMax) * (w - m.l - m.r);
  const y = (v: number) => h - m.b - (v / yMax) * (h - m.t - m.b);
  const lines = series.map((s, i) => {
    const pts: string[] = [];
    s.points.forEach((p, k) => {
      if (options.step && k > 0) pts.push(`${x(p[0]).toFixed(1)},${y(s.points[k - 1]![1]).toFixed(1)}`);
      pts.push(`${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`);
    });
    return `<polyline fill="none" stroke-width="2" stroke="${COLOURS[i % COLOURS.length]}" points="${pts.join(" ")}"><title>${esc(s.name)}</title></polyline>`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${m.l - 4}" y="${y(f * yMax) + 4}" text-anchor="end">${fmtTick(f * yMax)}</text>` +
      `<line x1="${m.l}" x2="${w - m.r}" y1="${y(f * yMax)}" y2="${y(f * yMax)}" stroke="#eee"/>` +
      `<text x="${x(f * xMax)}" y="${h - m.b + 14}" text-anchor="middle">${fmtTick(f * xMax)}</text>`,
  );
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">${ticks.join("")}<line x1="${m.l}" y1="${h - m.b}" x2="${w - m.r}" y2="${h - m.b}" stroke="#333"/><line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${h - m.b}" stroke="#333"/>${lines.join("")}<text x="${(w + m.l) / 2}" y="${h - 4}" text-anchor="middle">${esc(xLabel)}</text><text x="12" y="${m.t - 8}">${esc(yLabel)}</text></svg>${legend(series.map((s) => s.name))}</figure>`;
}

function fmtTick(v: number): string {
  return Math.abs(v) >= 10 ? String(Math.round(v)) : String(Math.round(v * 100) / 100);
}

function legend(names: readonly string[]): string {
  return `<div class="legend">${names.map((n, i) => `<span><i style="background:${COLOURS[i % COLOURS.length]}"></i>${esc(n)}</span>`).join("")}</div>`;
}

/** Agents' utilisation as grouped horizontal bars, one bar per run. */
function utilisationChart(runs: readonly RunFigures[]): string {
  const agents = [...new Set(runs.flatMap((r) => r.agents.map((a) => a.agentId)))].sort();
  const barH = 8;
  const rowH = barH * runs.length + 8;
  const w = 640;
  const l = 110;
  const h = agents.length * rowH + 30;
  const rows = agents.map((agentId, i) => {
    const y0 = 10 + i * rowH;
    const bars = runs.map((r, k) => {
      const u = r.agents.find((a) => a.agentId === agentId)?.utilisation ?? 0;
      return `<rect x="${l}" y="${y0 + k * barH}" width="${(u * (w - l - 60)).toFixed(1)}" height="${barH - 1}" fill="${COLOURS[k % COLOURS.length]}"><title>${esc(`${agentId}, ${r.name}: ${pct(u)}`)}</title></rect>`;
    });
    return `<text x="${l - 6}" y="${y0 + (barH * runs.length) / 2 + 4}" text-anchor="end">${esc(agentId)}</text>${bars.join("")}`;
  });
  const axis = [0, 0.5, 1]
    .map((f) => `<text x="${l + f * (w - l - 60)}" y="${h - 4}" text-anchor="middle">${pct(f)}</text>`)
    .join("");
  return `<figure><figcaption>Agent utilisation (talk time / signed-in time)</figcaption><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="agent utilisation">${rows.join("")}${axis}</svg>${legend(runs.map((r) => r.name))}</figure>`;
}

/** The empirical distribution function of answered calls' waits. */
function waitCdf(run: RunFigures): Array<readonly [number, number]> {
  const waits = run.calls.flatMap((c) => (c.waitSec === undefined ? [] : [c.waitSec])).sort((a, b) => a - b);
  const pts: Array<readonly [number, number]> = [[0, 0]];
  waits.forEach((wsec, i) => {
    pts.push([wsec, (i + 1) / waits.length]);
  });
  return pts;
}

/** The whole comparison as one HTML page: tables, then charts. Nothing is loaded from anywhere. */
export function comparisonHtml(
  runs: readonly RunFigures[],
  meta: { readonly title: string; readonly notes: readonly string[] },
): string {
  const tables = sections(runs).map(
    (s) =>
      `<h2>${esc(s.title)}</h2><table><thead><tr><th></th>${runs.map((r) => `<th>${esc(r.name)}</th>`).join("")}</tr></thead><tbody>${s.rows
        .map(
          (row) =>
            `<tr>${row.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join("")}</tr>`,
        )
        .join("")}</tbody></table>`,
  );
  const charts = [
    lineChart(
      "Wait before answer: share of answered calls answered within x seconds",
      "seconds from entering Connect",
      "share",
      runs.map((r) => ({ name: r.name, points: waitCdf(r) })),
      { step: true, yMax: 1 },
    ),
    lineChart(
      "Callers in queue over the day",
      "seconds from the start of the period",
      "callers",
      runs.map((r) => ({ name: r.name, points: r.queueLength })),
      { step: true },
    ),
    utilisationChart(runs),
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(meta.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:8px 0 16px}th,td{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}
th:first-child{text-align:left}thead th{background:#f4f4f4;max-width:16em;white-space:normal;vertical-align:bottom}
figure{margin:16px 0}figcaption{font-weight:600;margin-bottom:4px}svg text{font-size:11px;fill:#333}
.legend span{margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.tables{display:flex;flex-wrap:wrap;gap:0 32px}
</style></head><body>
<h1>${esc(meta.title)}</h1>
<ul>${meta.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>
<div class="tables">${tables.map((t) => `<section>${t}</section>`).join("")}</div>
${charts.join("\n")}
</body></html>
`;
}
