// The series names the dashboards query (prometheusSeries) are the ones the OTel Prometheus exporter — what
// `OTEL_METRICS_EXPORTER=prometheus` and the Helm chart's default run — actually serves for each metric.
import type { IncomingMessage, ServerResponse } from "node:http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { afterAll, describe, expect, it } from "vitest";
import {
  count,
  METRICS,
  type MetricKey,
  observeGauge,
  prometheusSeries,
  record,
  startTelemetry,
} from "../src/index.js";

const exporter = new PrometheusExporter({ preventServerStart: true });
const telemetry = startTelemetry({ serviceName: "prometheus-names", metricReaders: [exporter] });
afterAll(() => telemetry[Symbol.asyncDispose]());

function scrape(): Promise<string> {
  return new Promise((resolve) => {
    const res = {
      statusCode: 0,
      setHeader: () => res,
      end: (body: string) => resolve(body),
    };
    exporter.getMetricsRequestHandler({} as IncomingMessage, res as unknown as ServerResponse);
  });
}

describe("prometheus names", () => {
  it("every metric is served under the series names the dashboards use", async () => {
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      const m = METRICS[key];
      if (m.kind === "counter") count(key, 1, { outcome: "x" });
      else if (m.kind === "histogram") record(key, 0.5, { queue: "q" });
      else observeGauge(key, () => [[{ queue: "q" }, 1]]);
    }
    const text = await scrape();
    const served = new Set(
      text
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split(/[{ ]/)[0]!),
    );
    for (const key of Object.keys(METRICS) as MetricKey[])
      for (const series of prometheusSeries(key))
        expect(served, `${key} → ${series}\n${text}`).toContain(series);
  });
});
