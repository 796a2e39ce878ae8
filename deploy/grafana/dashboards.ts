// The Grafana dashboards, as code (grafana-foundation-sdk builders). `pnpm -s dashboards` (generate.ts)
// writes them to dashboards/*.json, which are checked in and provisioned; test/deploy/grafana.unit.test.ts
// fails when the JSON is stale and checks every query against the names the code emits. Every metric,
// label, span name and attribute comes from @switchyard/telemetry's constants: no name is typed twice.
import type { DataSourceRef } from "@grafana/grafana-foundation-sdk/common";
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  TextBoxVariableBuilder,
  VariableRefresh,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { DataqueryBuilder as PromQuery } from "@grafana/grafana-foundation-sdk/prometheus";
import { PanelBuilder as Stat } from "@grafana/grafana-foundation-sdk/stat";
import { PanelBuilder as Table } from "@grafana/grafana-foundation-sdk/table";
import { DataqueryBuilder as TempoQuery } from "@grafana/grafana-foundation-sdk/tempo";
import { PanelBuilder as TimeSeries } from "@grafana/grafana-foundation-sdk/timeseries";
import { ATTRS, METRIC_ATTRS, type MetricKey, prometheusName, SPANS } from "@switchyard/telemetry";

/** Data source uids, as provisioned in provisioning/datasources/switchyard.yaml. */
export const PROMETHEUS: DataSourceRef = { type: "prometheus", uid: "prometheus" };
export const TEMPO: DataSourceRef = { type: "tempo", uid: "tempo" };

/**
 * Series that come from exporters beside the platform (postgres-exporter, prometheus-nats-exporter, both in
 * deploy/compose.yaml), not from the platform's code; the cross-check test allows exactly these.
 */
export const EXTERNAL_SERIES = [
  "pg_up",
  "pg_stat_database_numbackends",
  "pg_stat_database_xact_commit",
  "gnatsd_varz_connections",
  "gnatsd_varz_in_msgs",
  "gnatsd_varz_out_msgs",
  "jetstream_server_total_streams",
  "jetstream_consumer_num_pending",
  "up",
] as const;

const m = (key: MetricKey) => prometheusName(key);
const L = METRIC_ATTRS;
const RATE = "$__rate_interval";
const group = `${L.group}=~"$group"`;
const queue = `${L.queue}=~"$queue"`;

const prom = (expr: string, legend?: string) => {
  const q = new PromQuery().expr(expr).datasource(PROMETHEUS);
  return legend === undefined ? q : q.legendFormat(legend);
};

const ts = (title: string, unit: string, ...targets: PromQuery[]) => {
  const p = new TimeSeries().title(title).unit(unit).datasource(PROMETHEUS).height(8).span(12);
  for (const t of targets) p.withTarget(t);
  return p;
};

const stat = (title: string, unit: string, target: PromQuery) =>
  new Stat().title(title).unit(unit).datasource(PROMETHEUS).height(4).span(4).withTarget(target);

const variable = (name: string, label: string, series: string) =>
  new QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query(`label_values(${series}, ${label})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue(".*");

/** Calls offered, answered, abandoned; service level; ASA; queues; agents by state; per group. */
export function contactCentreOverview(): Dashboard {
  const answered = `sum(increase(${m("callOutcomes")}{${L.outcome}="answered",${group}}[$__range]))`;
  return new DashboardBuilder("Switchyard / Contact centre")
    .uid("switchyard-contact-centre")
    .tags(["switchyard", "generated"])
    .refresh("30s")
    .time({ from: "now-6h", to: "now" })
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(variable("group", L.group, m("callOutcomes")))
    .withVariable(variable("queue", L.queue, m("queueLength")))
    .withRow(new RowBuilder("Calls"))
    .withPanel(stat("Calls offered", "short", prom(`sum(increase(${m("callsStarted")}[$__range]))`)))
    .withPanel(stat("Calls answered", "short", prom(answered)))
    .withPanel(
      stat(
        "Abandoned in queue",
        "short",
        prom(`sum(increase(${m("queueWait")}_count{${L.reason}="callEnded",${queue}}[$__range]))`),
      ),
    )
    .withPanel(
      stat(
        "Service level (answered within 20 s)",
        "percentunit",
        prom(
          `sum(increase(${m("answerTime")}_bucket{le="20",${group}}[$__range])) / sum(increase(${m("answerTime")}_count{${group}}[$__range]))`,
        ),
      ),
    )
    .withPanel(
      stat(
        "Average speed of answer",
        "s",
        prom(
          `sum(increase(${m("answerTime")}_sum{${group}}[$__range])) / sum(increase(${m("answerTime")}_count{${group}}[$__range]))`,
        ),
      ),
    )
    .withPanel(
      stat(
        "Answer rate",
        "percentunit",
        prom(`${answered} / sum(increase(${m("callOutcomes")}{${group}}[$__range]))`),
      ),
    )
    .withPanel(
      ts(
        "Connect outcomes per group",
        "cps",
        prom(
          `sum by (${L.group}, ${L.outcome}) (rate(${m("callOutcomes")}{${group}}[${RATE}]))`,
          `{{${L.group}}} {{${L.outcome}}}`,
        ),
      ),
    )
    .withPanel(
      ts(
        "Calls ended by reason",
        "cps",
        prom(`sum by (${L.reason}) (rate(${m("callsEnded")}[${RATE}]))`, `{{${L.reason}}}`),
      ),
    )
    .withRow(new RowBuilder("Queues"))
    .withPanel(
      ts(
        "Callers waiting",
        "short",
        prom(`sum by (${L.queue}) (${m("queueLength")}{${queue}})`, `{{${L.queue}}}`),
      ),
    )
    .withPanel(
      ts(
        "Longest current wait",
        "s",
        prom(`max by (${L.queue}) (${m("queueLongestWait")}{${queue}})`, `{{${L.queue}}}`),
      ),
    )
    .withPanel(
      ts(
        "Queue wait p90 by outcome",
        "s",
        prom(
          `histogram_quantile(0.9, sum by (le, ${L.queue}, ${L.reason}) (rate(${m("queueWait")}_bucket{${queue}}[${RATE}])))`,
          `{{${L.queue}}} {{${L.reason}}}`,
        ),
      ),
    )
    .withPanel(
      ts(
        "Time to answer p50 / p90 per group",
        "s",
        prom(
          `histogram_quantile(0.5, sum by (le, ${L.group}) (rate(${m("answerTime")}_bucket{${group}}[${RATE}])))`,
          `{{${L.group}}} p50`,
        ),
        prom(
          `histogram_quantile(0.9, sum by (le, ${L.group}) (rate(${m("answerTime")}_bucket{${group}}[${RATE}])))`,
          `{{${L.group}}} p90`,
        ),
      ),
    )
    .withRow(new RowBuilder("Agents"))
    .withPanel(
      ts("Agents by state", "short", prom(`sum by (${L.state}) (${m("agentsByState")})`, `{{${L.state}}}`)),
    )
    .build();
}

/** Decision latency and throughput, relay lag, redeliveries, dead letters, PostgreSQL and NATS health. */
export function platformDashboard(): Dashboard {
  const q = (p: number) =>
    prom(
      `histogram_quantile(${p}, sum by (le) (rate(${m("decisionDuration")}_bucket[${RATE}])))`,
      `p${Math.round(p * 100)}`,
    );
  return new DashboardBuilder("Switchyard / Platform")
    .uid("switchyard-platform")
    .tags(["switchyard", "generated"])
    .refresh("30s")
    .time({ from: "now-1h", to: "now" })
    .tooltip(DashboardCursorSync.Crosshair)
    .withRow(new RowBuilder("Routing"))
    .withPanel(
      ts(
        "Decisions per second by outcome",
        "ops",
        prom(`sum by (${L.outcome}) (rate(${m("decisions")}[${RATE}]))`, `{{${L.outcome}}}`),
      ),
    )
    .withPanel(ts("Decision latency (input taken → effects published)", "s", q(0.5), q(0.9), q(0.99)))
    .withPanel(
      ts(
        "Leg commands executed by kind",
        "ops",
        prom(`sum by (${L.kind}) (rate(${m("legCommands")}[${RATE}]))`, `{{${L.kind}}}`),
      ),
    )
    .withPanel(
      ts(
        "FreeSWITCH endpoints: p90 wait for a turn and creation, by kind",
        "s",
        prom(
          `histogram_quantile(0.9, sum by (le, ${L.kind}) (rate(${m("mediaEndpointWait")}_bucket[${RATE}])))`,
          `wait {{${L.kind}}}`,
        ),
        prom(
          `histogram_quantile(0.9, sum by (le, ${L.kind}) (rate(${m("mediaEndpointCreate")}_bucket[${RATE}])))`,
          `create {{${L.kind}}}`,
        ),
      ),
    )
    .withRow(new RowBuilder("Relay and JetStream"))
    .withPanel(
      ts(
        "Relay lag (commit → published)",
        "s",
        prom(`histogram_quantile(0.99, sum by (le) (rate(${m("relayLag")}_bucket[${RATE}])))`, "p99"),
        prom(`histogram_quantile(0.5, sum by (le) (rate(${m("relayLag")}_bucket[${RATE}])))`, "p50"),
      ),
    )
    .withPanel(
      ts("Events relayed per second", "ops", prom(`sum(rate(${m("relayPublished")}[${RATE}]))`, "events")),
    )
    .withPanel(
      ts(
        "Redeliveries by consumer",
        "ops",
        prom(
          `sum by (${L.stream}, ${L.durable}) (rate(${m("redeliveries")}[${RATE}]))`,
          `{{${L.stream}}}/{{${L.durable}}}`,
        ),
      ),
    )
    .withPanel(
      ts(
        "Dead letters by consumer",
        "short",
        prom(
          `sum by (${L.stream}, ${L.durable}) (increase(${m("deadLetters")}[${RATE}]))`,
          `{{${L.stream}}}/{{${L.durable}}}`,
        ),
      ),
    )
    .withRow(new RowBuilder("PostgreSQL and NATS"))
    .withPanel(stat("PostgreSQL up", "bool", prom("max(pg_up)")))
    .withPanel(
      ts(
        "PostgreSQL commits and backends",
        "short",
        prom("sum(rate(pg_stat_database_xact_commit[$__rate_interval]))", "commits/s"),
        prom("sum(pg_stat_database_numbackends)", "backends"),
      ),
    )
    .withPanel(
      ts(
        "NATS connections and messages",
        "short",
        prom("sum(gnatsd_varz_connections)", "connections"),
        prom("sum(rate(gnatsd_varz_in_msgs[$__rate_interval]))", "in msgs/s"),
        prom("sum(rate(gnatsd_varz_out_msgs[$__rate_interval]))", "out msgs/s"),
      ),
    )
    .withPanel(
      ts(
        "JetStream consumers: pending messages",
        "short",
        prom("sum by (consumer_name) (jetstream_consumer_num_pending)", "{{consumer_name}}"),
      ),
    )
    .build();
}

const traceql = (title: string, query: string) =>
  new Table()
    .title(title)
    .datasource(TEMPO)
    .height(10)
    .span(24)
    .withTarget(new TempoQuery().queryType("traceql").query(query).limit(50).datasource(TEMPO));

/** Tempo: find a call's trace by call id, agent or outcome; slow decisions; long queue waits. */
export function callTraceDashboard(): Dashboard {
  const a = (name: string) => `span.${name}`;
  return new DashboardBuilder("Switchyard / Call traces")
    .uid("switchyard-call-traces")
    .tags(["switchyard", "generated"])
    .time({ from: "now-1h", to: "now" })
    .withVariable(new TextBoxVariableBuilder("callId").label("call id"))
    .withVariable(new TextBoxVariableBuilder("agent").label("agent id"))
    .withVariable(new TextBoxVariableBuilder("outcome").label("connect outcome"))
    .withPanel(
      traceql(
        "The call's trace (by call id)",
        `{ ${a(ATTRS.callId)} = "$callId" && name = "${SPANS.gatewayInboundCall}" }`,
      ),
    )
    .withPanel(
      traceql(
        "Calls offered to an agent",
        `{ name = "${SPANS.routerDecide}" && ${a(ATTRS.chosenAgent)} =~ ".*$agent.*" }`,
      ),
    )
    .withPanel(
      traceql(
        "Calls by connect outcome",
        `{ name = "${SPANS.routerDecide}" && ${a(ATTRS.connectOutcome)} = "$outcome" }`,
      ),
    )
    .withPanel(
      traceql(
        "Slow decisions (over 100 ms) with their strategy and group",
        `{ name = "${SPANS.routerDecide}" && duration > 100ms } | select(${a(ATTRS.strategy)}, ${a(ATTRS.group)}, ${a(ATTRS.candidates)})`,
      ),
    )
    .withPanel(
      traceql(
        "Long queue waits (over 60 s of platform time) and how they ended",
        `{ name = "${SPANS.routerQueueWait}" && ${a(ATTRS.queueWaitSeconds)} > 60 } | select(${a(ATTRS.queue)}, ${a(ATTRS.dequeueReason)}, ${a(ATTRS.callId)})`,
      ),
    )
    .withPanel(
      traceql(
        "Redelivered inputs",
        `{ name = "${SPANS.routerDecide}" && ${a(ATTRS.delivery)} > 1 } | select(${a(ATTRS.input)}, ${a(ATTRS.callId)})`,
      ),
    )
    .withPanel(
      traceql(
        "Failed appends and leg commands",
        `{ (name = "${SPANS.eventStoreAppend}" || name = "${SPANS.gatewayLegCommand}") && status = error }`,
      ),
    )
    .build();
}

export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  "contact-centre": contactCentreOverview,
  platform: platformDashboard,
  "call-traces": callTraceDashboard,
};

/** The JSON a dashboard file holds (stable formatting, newline-terminated). */
export function dashboardJson(build: () => Dashboard): string {
  return `${JSON.stringify(build(), null, 2)}\n`;
}
