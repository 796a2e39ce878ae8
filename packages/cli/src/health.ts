// Health endpoints for probes: GET /livez (the process can still do its job: its NATS connection is not
// closed for good and no consumer loop died) and GET /readyz (it should get work: started, not draining, the
// database answers, NATS answers, every consumer is pulling). Both answer JSON with each check; 200 or 503.
import { createServer, type Server } from "node:http";
import { type Bus, consumerStates } from "@switchyard/bus";
import type { OpenedEventStore } from "@switchyard/event-store";

export interface HealthCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface HealthServer extends AsyncDisposable {
  /** `host:port` it listens on. */
  readonly address: string;
  /** From now on /readyz answers 503 (SIGTERM: stop getting new work while in-flight work finishes). */
  drain(): void;
  /** The checks as /readyz would answer them. */
  readiness(): Promise<{ ok: boolean; checks: Record<string, HealthCheck> }>;
}

/** `--health-listen` is not `host:port` or `port`. */
export class HealthListenError extends Error {
  override readonly name = "HealthListenError";
}

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new HealthListenError(`--health-listen must be PORT or HOST:PORT, not "${text}"`);
  return { host: m[1] || "0.0.0.0", port };
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref(),
    ),
  ]);

const failure = (err: unknown): HealthCheck => ({
  ok: false,
  detail: err instanceof Error ? err.message : String(err),
});

export async function startHealthServer(options: {
  readonly listen: string;
  readonly eventStore: Pick<OpenedEventStore, "store">;
  readonly bus: Pick<Bus, "isClosed" | "rtt">;
  /** Per check (default 2000 ms): a probe must answer before the kubelet's timeout. */
  readonly timeoutMs?: number;
}): Promise<HealthServer> {
  const { host, port } = parseListen(options.listen);
  const timeoutMs = options.timeoutMs ?? 2_000;
  let draining = false;

  const consumers = (): HealthCheck => {
    const failed = consumerStates().filter((c) => c.state === "failed");
    return failed.length === 0
      ? { ok: true, detail: `${consumerStates().length} consumers` }
      : { ok: false, detail: failed.map((c) => `${c.stream}/${c.durable}: ${c.error}`).join("; ") };
  };
  const nats = (): HealthCheck =>
    options.bus.isClosed() ? { ok: false, detail: "connection closed" } : { ok: true };

  async function readiness() {
    const checks: Record<string, HealthCheck> = {
      draining: draining ? { ok: false, detail: "shutting down" } : { ok: true },
      consumers: consumers(),
    };
    const [db, natsRtt] = await Promise.all([
      // A read of a stream nobody writes: one round trip through the store's own connection pool.
      withTimeout(options.eventStore.store.readStream("health-probe"), timeoutMs, "database").then(
        (): HealthCheck => ({ ok: true }),
        failure,
      ),
      nats().ok
        ? withTimeout(options.bus.rtt(), timeoutMs, "nats").then(
            (ms): HealthCheck => ({ ok: true, detail: `rtt ${ms} ms` }),
            failure,
          )
        : Promise.resolve(nats()),
    ]);
    checks.database = db;
    checks.nats = natsRtt;
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  }

  function liveness() {
    // Not the database or NATS being slow for a moment (that is readiness): only what a restart would fix.
    const checks = { nats: nats(), consumers: consumers() };
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const answer = (body: { ok: boolean }) => {
      res.writeHead(body.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
    } else if (path === "/livez" || path === "/healthz") {
      answer(liveness());
    } else if (path === "/readyz") {
      readiness().then(answer, (err: unknown) => answer(failure(err)));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const address = typeof bound === "object" && bound ? `${host}:${bound.port}` : `${host}:${port}`;
  return {
    address,
    drain() {
      draining = true;
    },
    readiness,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
