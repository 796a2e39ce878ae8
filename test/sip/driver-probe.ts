// Diagnostic (not a test): the drachtio driver alone — no router, NATS or PostgreSQL — taking sipp INVITEs at
// N calls/s; with "agents", each call also rings a sipp agent (answers after 100 ms) and is bridged to it.
// Times each stage (FreeSWITCH endpoint creation, INVITE transactions, the caller's 200 OK, the event loop).
//   node --import tsx test/sip/driver-probe.ts [cps=30] [seconds=10] [agents] [holdMs=2000]
// This is how the SIP load test's ceiling was found to be FreeSWITCH endpoint creation (see test/sip/README.md).
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { systemClock } from "@switchyard/clock";
import { DrachtioDriver } from "@switchyard/media-gateway";
import { startSippAgent, startSippCallers, startTelephony } from "./rig/index.js";

const req = createRequire(resolve(import.meta.dirname, "../../services/media-gateway/package.json"));
const MediaServer = req(req.resolve("drachtio-fsmrf").replace(/mrf\.js$/, "mediaserver.js"));
const Srf = req("drachtio-srf");
const cps = Number(process.argv[2] ?? 30);
const seconds = Number(process.argv[3] ?? 10);
const withAgents = process.argv[4] === "agents";
const holdMs = Number(process.argv[5] ?? 2_000);

const stats: Record<string, number[]> = {};
const note = (k: string, v: number) => {
  const list = stats[k] ?? [];
  list.push(v);
  stats[k] = list;
};
const pct = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]?.toFixed(0);
  return `n=${s.length} p50 ${at(0.5)} p90 ${at(0.9)} p99 ${at(0.99)} max ${s.at(-1)?.toFixed(0)}`;
};
function wrap(proto: Record<string, unknown>, name: string, key: string) {
  const orig = proto[name] as (...a: unknown[]) => unknown;
  proto[name] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    const r = orig.apply(this, args);
    if (r instanceof Promise)
      r.then(
        () => note(key, performance.now() - t0),
        () => note(`${key} (failed)`, performance.now() - t0),
      );
    return r;
  };
}
wrap(MediaServer.prototype, "createEndpoint", "createEndpoint");
wrap(MediaServer.prototype, "api", "ms.api");
wrap(Srf.prototype, "createUAS", "createUAS");
wrap(Srf.prototype, "createUAC", "createUAC");

// Event-loop lag, sampled every 50 ms.
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  note("event loop lag", now - last - 50);
  last = now;
}, 50).unref();

const tel = await startTelephony({ name: "probe", freeswitch: { rtpPorts: 2_000, logLevel: "warning" } });
const driver = new DrachtioDriver({
  clock: systemClock,
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
  trunks: [{ name: "loopback", sources: ["127.0.0.0/8"] }],
  mediaDir: join(tel.dir, "media"),
  log: (level, msg, f) => {
    if (level !== "info") note(`log ${level}: ${msg}`, 0);
    void f;
  },
});
await driver.start();
let inbound = 0;
const agent = withAgents
  ? await startSippAgent({ dir: tel.dir, name: "agents", behaviour: { kind: "answer", afterMs: 100 } })
  : undefined;
const peer = new Map<string, string>();
const started = new Map<string, number>();
driver.onEvent((e) => {
  if (e.type === "inboundCall") {
    inbound++;
    if (!agent) return;
    const leg = `agent-${inbound}`;
    peer.set(leg, e.channelId);
    peer.set(e.channelId, leg);
    started.set(leg, performance.now());
    void driver.originate({
      channelId: leg,
      to: { kind: "sip", uri: agent.uri(leg) },
      callerId: "+15550001",
      timeoutSec: 20,
    } as never);
  } else if (e.type === "answered") {
    note("originate → answered", performance.now() - (started.get(e.channelId) ?? 0));
    const other = peer.get(e.channelId);
    if (other) void driver.bridge(other, e.channelId);
  } else if (e.type === "ended") {
    const other = peer.get(e.channelId);
    if (other) void driver.hangup(other, "peer ended");
  }
});
const t0 = performance.now();
const run = await startSippCallers({
  dir: tel.dir,
  name: "callers",
  target: { host: "127.0.0.1", port: tel.drachtio.sipPort },
  service: "+15550100",
  plan: { holdMs },
  calls: cps * seconds,
  rate: cps,
  limit: cps * seconds,
  timeoutSec: seconds + 120,
  events: false,
});
const result = await run.done;
console.log(
  `sipp ${JSON.stringify(result.stats && { ...result.stats, raw: undefined })} in ${((performance.now() - t0) / 1000).toFixed(1)} s; inboundCall ${inbound}`,
);
const msgs = result.messages?.() ?? [];
const inv = new Map<string, number>();
const ok: number[] = [];
for (const m of msgs) {
  if (m.direction === "sent" && m.method === "INVITE" && !inv.has(m.callId)) inv.set(m.callId, m.at);
  if (m.direction === "received" && m.status === 200 && m.cseqMethod === "INVITE" && inv.has(m.callId)) {
    ok.push(m.at - inv.get(m.callId)!);
    inv.delete(m.callId);
  }
}
note("caller INVITE → 200 OK", 0);
stats["caller INVITE → 200 OK"] = ok;
const codes: Record<string, number> = {};
for (const m of msgs)
  if (m.direction === "received" && m.status >= 300) codes[m.status] = (codes[m.status] ?? 0) + 1;
console.log("final error responses", codes);
for (const [k, v] of Object.entries(stats)) console.log(`${k}: ${pct(v)}`);
await driver.close();
await tel.stop({ keep: process.env.SWITCHYARD_SIP_KEEP === "1" });
process.exit(0);
