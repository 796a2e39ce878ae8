// The pg and grpc-js auto-instrumentation as `switchyard` runs: the real binary (`run --target
// router,admin-api`) exports OTLP (http/json) to a receiver in this test, while the call's media gateway
// runs here under the in-memory SDK. One call: its trace starts at the gateway span here and continues in
// the router there, and the event store's queries are pg CLIENT spans (db.system.name=postgresql) inside
// that trace, under the append that made them. One admin RPC: a gRPC SERVER span, its queries under it.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { runCli } from "@switchyard/cli";
import { ATTRS, SPANS } from "@switchyard/telemetry";
import { type InMemoryTelemetry, startInMemoryTelemetry } from "@switchyard/telemetry/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DATABASE_URL,
  defineConfig,
  type E2EPlatform,
  endedCall,
  eventually,
  flowOnNumber,
  hangup,
  placeCall,
  say,
  startE2E,
  streamOf,
} from "../e2e/harness.js";

const BIN = fileURLToPath(new URL("../../packages/cli/bin/switchyard.mjs", import.meta.url));

/** One span as OTLP/JSON carries it (ids hex, attributes as typed values). */
interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly scope: string;
  readonly attributes: Record<string, unknown>;
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>;
}
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpExport {
  resourceSpans?: Array<{
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: Array<{ key: string; value: OtlpValue }>;
        links?: Array<{ traceId: string; spanId: string }>;
      }>;
    }>;
  }>;
}

/** A stand-in for an OpenTelemetry collector: accepts OTLP/HTTP JSON exports and keeps the spans. */
function otlpReceiver(received: OtlpSpan[]): Server {
  return createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const doc = JSON.parse(body) as OtlpExport;
        for (const rs of doc.resourceSpans ?? [])
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              received.push({
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                kind: s.kind,
                scope: ss.scope?.name ?? "",
                attributes: Object.fromEntries(
                  (s.attributes ?? []).map((a) => [
                    a.key,
                    a.value.stringValue ?? a.value.intValue ?? a.value.boolValue ?? a.value.doubleValue,
                  ]),
                ),
                links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
              });
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
}

let otel: InMemoryTelemetry;
let p: E2EPlatform;
let receiver: Server;
let child: ChildProcess | undefined;
const received: OtlpSpan[] = [];
const childOutput: string[] = [];
let adminServer: string;

beforeAll(async () => {
  receiver = otlpReceiver(received);
  await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  otel = startInMemoryTelemetry("switchyard-e2e-gateway");
  p = await startE2E({ speed: 20, inProcessRouter: false });
  child = spawn(
    process.execPath,
    [
      BIN,
      "run",
      "--target",
      "router,admin-api",
      "--admin-listen",
      "127.0.0.1:0",
      "--admin-anonymous",
      "admin",
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL,
        DATABASE_SCHEMA: p.schema,
        // router and admin API in one process, one connection: the admin role (each alone has its own).
        NATS_URL: p.buses.urlOf("admin"),
        SWITCHYARD_PREFIX: p.prefix,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
        OTEL_METRICS_EXPORTER: "none",
        OTEL_BSP_SCHEDULE_DELAY: "200",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  for (const stream of [child.stdout!, child.stderr!])
    stream.on("data", (c: Buffer) => childOutput.push(...c.toString().split("\n")));
  const line = await eventually(
    async () => childOutput.find((l) => /admin-api on 127\.0\.0\.1:\d+/.test(l)),
    `admin-api listening in: ${childOutput.join("\n")}`,
  );
  adminServer = /admin-api on (127\.0\.0\.1:\d+)/.exec(line)![1]!;
  await eventually(async () => childOutput.find((l) => l.includes("switchyard: up")), "switchyard up");
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  await p?.close();
  await otel?.[Symbol.asyncDispose]();
  await new Promise((r) => receiver?.close(r));
});

/** The spans of a trace, by id, and the chain of names from a span up to the trace's root. */
function ancestry(spans: readonly OtlpSpan[], span: OtlpSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names: string[] = [];
  for (let s = byId.get(span.parentSpanId ?? ""); s; s = byId.get(s.parentSpanId ?? "")) names.push(s.name);
  return names;
}

describe("pg and gRPC auto-instrumentation in the switchyard binary", () => {
  it("the event store's queries are pg spans inside the call's trace, under the append", async () => {
    const flow = flowOnNumber("otel_pg_flow", "hello", { hello: say("Hello", "bye"), bye: hangup });
    await defineConfig(p, flow.commands);
    const callId = await placeCall(p, { from: "+14155559200", to: flow.number, hangUpAfterSec: 60 });
    await endedCall(p, callId);

    const root = otel
      .spans()
      .find((s) => s.name === SPANS.gatewayInboundCall && s.attributes[ATTRS.callId] === callId);
    expect(root, "the gateway's span of the call (this process)").toBeDefined();
    const traceId = root!.spanContext().traceId;
    const rootId = root!.spanContext().spanId;

    // The child exports in batches: wait for the append of the call's CallEnded and its queries.
    const inTrace = await eventually(async () => {
      const spans = received.filter((s) => s.traceId === traceId);
      const ended = spans.some(
        (s) => s.name === SPANS.routerDecide && String(s.attributes[ATTRS.events]).includes("CallEnded"),
      );
      if (!ended || !spans.some((s) => s.scope === "@opentelemetry/instrumentation-pg")) return undefined;
      // Batches arrive in any order: wait until each span's parent has arrived too (or never, and fail below).
      const known = new Set([
        rootId,
        ...otel.spans().map((x) => x.spanContext().spanId),
        ...spans.map((x) => x.spanId),
      ]);
      return spans.every((x) => known.has(x.parentSpanId ?? "")) ? spans : undefined;
    }, `the router's spans of trace ${traceId}`).catch((error: unknown) => {
      // What did arrive, to tell a broken propagation from missing pg spans.
      const seen = received.map(
        (s) =>
          `${s.traceId === traceId ? "*" : " "} ${s.scope} ${s.name} ${String(s.attributes[ATTRS.events] ?? "")}`,
      );
      throw new Error(`${String(error)}; received:\n${seen.join("\n")}`);
    });

    // Every span the router process sent for this trace hangs off another span of it or off the gateway's.
    const ids = new Set([
      rootId,
      ...otel.spans().map((s) => s.spanContext().spanId),
      ...inTrace.map((s) => s.spanId),
    ]);
    for (const s of inTrace)
      expect(ids.has(s.parentSpanId ?? ""), `${s.name} has its parent in the trace`).toBe(true);

    const pgSpans = inTrace.filter((s) => s.scope === "@opentelemetry/instrumentation-pg");
    for (const s of pgSpans) expect(s.attributes["db.system.name"], s.name).toBe("postgresql");
    const queries = pgSpans.filter((s) => s.kind === SPAN_KIND_CLIENT && s.name.startsWith("pg.query"));
    expect(queries.length).toBeGreaterThan(0);
    // The append's write of the call's events is a query under eventstore.append under router.decide: one
    // statement, event_store_append (or its INSERT, on the transaction path the store keeps for its fallbacks).
    const underAppend = queries.filter((s) => ancestry(inTrace, s)[0] === SPANS.eventStoreAppend);
    expect(
      underAppend.some((s) => /event_store_append|insert/i.test(String(s.attributes["db.query.text"]))),
    ).toBe(true);
    for (const s of underAppend) expect(ancestry(inTrace, s)).toContain(SPANS.routerDecide);
  });

  it("an admin RPC is a gRPC SERVER span, with its queries under it", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli({
      command: "agents",
      args: [],
      flags: { server: adminServer },
      env: {},
      signal: new AbortController().signal,
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    expect(err.join("\n")).toBe("");
    expect(code).toBe(0);
    const rpc = await eventually(
      async () =>
        received.find(
          (s) => s.kind === SPAN_KIND_SERVER && s.name === "grpc.switchyard.admin.v1.AgentService/ListAgents",
        ),
      "the ListAgents server span",
    );
    expect(rpc.scope).toBe("@opentelemetry/instrumentation-grpc");
    expect(rpc.attributes).toMatchObject({
      "rpc.system": "grpc",
      "rpc.service": "switchyard.admin.v1.AgentService",
      "rpc.method": "ListAgents",
      "rpc.grpc.status_code": 0,
    });
    const queries = await eventually(async () => {
      const q = received.filter(
        (s) =>
          s.traceId === rpc.traceId &&
          s.scope === "@opentelemetry/instrumentation-pg" &&
          s.name.startsWith("pg.query"),
      );
      return q.length > 0 ? q : undefined;
    }, "pg spans of the RPC");
    for (const q of queries) expect(ancestry(received, q)).toContain(rpc.name);
  });

  it("an admin hang-up is decided in the call's trace, linked to the RPC's gRPC SERVER span", async () => {
    // A caller waiting in a queue nobody serves, until the admin hangs the call up.
    const flow = flowOnNumber("otel_rpc_flow", "c", {
      c: { kind: "connect", target: { kind: "group", groupId: "otel_rpc_g" }, branches: { fallback: "bye" } },
      bye: hangup,
    });
    await defineConfig(p, [
      {
        type: "DefineGroup",
        groupId: "otel_rpc_g",
        name: "otel_rpc_g",
        strategy: "longestIdle",
        members: [],
        ringTimeoutSec: 10,
        queue: { enabled: true, maxWaitSec: 600 },
      },
      ...flow.commands,
    ]);
    const callId = await placeCall(p, { from: "+14155559201", to: flow.number, hangUpAfterSec: 600 });
    await eventually(
      async () => ((await streamOf(p, callId)).some((e) => e.type === "CallerEnqueued") ? true : undefined),
      `call ${callId} queued`,
    );
    const err: string[] = [];
    const code = await runCli({
      command: "calls",
      args: ["hangup", callId],
      flags: { server: adminServer },
      env: {},
      signal: new AbortController().signal,
      out: () => undefined,
      err: (l) => err.push(l),
    });
    expect(err.join("\n")).toBe("");
    expect(code).toBe(0);
    await endedCall(p, callId);

    const traceId = otel
      .spans()
      .find((s) => s.name === SPANS.gatewayInboundCall && s.attributes[ATTRS.callId] === callId)!
      .spanContext().traceId;
    const rpc = await eventually(
      async () =>
        received.find(
          (s) => s.kind === SPAN_KIND_SERVER && s.name === "grpc.switchyard.admin.v1.CallService/HangUpCall",
        ),
      "the HangUpCall server span",
    );
    const decided = await eventually(
      async () =>
        received.find(
          (s) =>
            s.name === SPANS.routerDecide &&
            s.attributes[ATTRS.callId] === callId &&
            s.links.some((l) => l.spanId === rpc.spanId),
        ),
      "the router's decision of the hang-up, linked to the RPC",
    );
    // The RPC is its own trace (an admin action, not part of any call); what it asked of the call is not.
    expect(rpc.traceId).not.toBe(traceId);
    expect(decided.traceId).toBe(traceId);
    expect(decided.links).toContainEqual({ traceId: rpc.traceId, spanId: rpc.spanId });
    expect(String(decided.attributes[ATTRS.events])).toContain("CallEnded");
  });
});
