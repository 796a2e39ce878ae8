// The dashboards as code: the checked-in JSON is what dashboards.ts builds now (else: pnpm -s dashboards), and
// every query names only metrics, labels, span names and attributes the platform's code emits — the
// telemetry constants, each of them used by an instrumentation call in the sources — or the listed series
// of the exporters beside it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DASHBOARDS, dashboardJson, EXTERNAL_SERIES } from "@switchyard/grafana";
import { ATTRS, METRIC_ATTRS, METRICS, type MetricKey, prometheusSeries, SPANS } from "@switchyard/telemetry";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const dir = join(root, "deploy", "grafana", "dashboards");

/** Every query string of a dashboard: PromQL `expr`s and TraceQL `query`s. */
function queries(dashboard: unknown): { promql: string[]; traceql: string[] } {
  const promql: string[] = [];
  const traceql: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (typeof o.expr === "string") promql.push(o.expr);
      if (o.queryType === "traceql" && typeof o.query === "string") traceql.push(o.query);
      Object.values(o).forEach(walk);
    }
  };
  walk(dashboard);
  return { promql, traceql };
}

const PROMQL_WORDS = new Set([
  "sum",
  "max",
  "min",
  "avg",
  "count",
  "rate",
  "increase",
  "histogram_quantile",
  "by",
  "without",
  "and",
  "or",
  "unless",
]);

/** Metric names and label names a PromQL expression uses (a small tokenizer: enough for these queries). */
export function promNames(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(/\b(?:by|without)\s*\(([^)]*)\)/g, (_, list: string) => {
    labels.push(
      ...list
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return " ";
  });
  rest = rest.replace(/\{([^}]*)\}/g, (_, body: string) => {
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(m[1]!);
    return " ";
  });
  rest = rest.replace(/\[[^\]]*\]/g, " ");
  const metrics = [...rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((w) => !PROMQL_WORDS.has(w));
  return { metrics, labels };
}

const emittedSeries = new Set(Object.keys(METRICS).flatMap((k) => prometheusSeries(k as MetricKey)));
const external = new Set<string>(EXTERNAL_SERIES);
const labelNames = new Set<string>([...Object.values(METRIC_ATTRS), "le", "consumer_name"]);

/** All TypeScript sources of the platform (not tests), to check that each name is really emitted. */
function sources(): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules" || e.name === "dist" || e.name === "test") continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(readFileSync(p, "utf8"));
    }
  };
  walk(join(root, "services"));
  walk(join(root, "packages"));
  return out.join("\n");
}

describe("grafana dashboards", () => {
  it("the checked-in JSON is what dashboards.ts builds (else run `pnpm -s dashboards`)", () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort();
    expect(files).toEqual(
      Object.keys(DASHBOARDS)
        .map((n) => `${n}.json`)
        .sort(),
    );
    for (const [name, build] of Object.entries(DASHBOARDS)) {
      // Compared as JSON: the formatter (biome) re-wraps the generated file.
      expect(
        JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")),
        `${name}.json is stale: pnpm -s dashboards`,
      ).toEqual(JSON.parse(dashboardJson(build)));
    }
  });

  it("the PromQL tokenizer finds metrics and labels (so the cross-check can fail)", () => {
    expect(promNames('sum by (le, group) (rate(a_b_bucket{group=~"$g",outcome="x"}[5m])) / max(c)')).toEqual({
      metrics: ["a_b_bucket", "c"],
      labels: ["le", "group", "group", "outcome"],
    });
  });

  const code = sources();
  for (const [name, build] of Object.entries(DASHBOARDS)) {
    it(`${name}: every metric and label is one the code emits (or a listed exporter series)`, () => {
      const { promql, traceql } = queries(build());
      expect(promql.length + traceql.length).toBeGreaterThan(0);
      for (const expr of promql) {
        const { metrics, labels } = promNames(expr);
        expect(metrics.length, expr).toBeGreaterThan(0);
        for (const metric of metrics)
          expect(emittedSeries.has(metric) || external.has(metric), `${metric} in ${expr}`).toBe(true);
        for (const label of labels) expect(labelNames.has(label), `label ${label} in ${expr}`).toBe(true);
      }
    });

    it(`${name}: every TraceQL span name and attribute is one the code emits`, () => {
      const { traceql } = queries(build());
      const spanNames = new Set<string>(Object.values(SPANS));
      const attrs = new Set<string>(Object.values(ATTRS));
      for (const q of traceql) {
        for (const m of q.matchAll(/\bname\s*=\s*"([^"]+)"/g))
          expect(spanNames.has(m[1]!), `span ${m[1]} in ${q}`).toBe(true);
        for (const m of q.matchAll(/\bspan\.([a-zA-Z0-9_.]+)/g))
          expect(attrs.has(m[1]!), `attribute ${m[1]} in ${q}`).toBe(true);
      }
    });
  }

  it("every metric a dashboard uses is recorded by the code; every span and attribute is set by it", () => {
    const used = new Set(
      Object.values(DASHBOARDS).flatMap((b) => queries(b()).promql.flatMap((e) => promNames(e).metrics)),
    );
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      if (!prometheusSeries(key).some((s) => used.has(s))) continue;
      expect(code, `an instrumentation call records ${key}`).toMatch(
        // observeGauge directly, or through EventMetrics' #gauge (which reports stale series as 0)
        new RegExp(`(?:\\b(?:count|record|observeGauge)|#gauge)\\(\\s*"${key}"`),
      );
    }
    for (const key of Object.keys(SPANS)) expect(code, `a span SPANS.${key}`).toContain(`SPANS.${key}`);
    for (const key of Object.keys(ATTRS)) expect(code, `an attribute ATTRS.${key}`).toContain(`ATTRS.${key}`);
  });
});
