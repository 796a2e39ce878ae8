// The Dockerfile and deploy/compose.yaml, checked without a container engine (none runs here): the base
// image pinned by version and digest, a non-root user, the `switchyard` entrypoint, production dependencies
// only — the build stage's `pnpm deploy --prod` is run for real and its output must start `switchyard help`
// without any devDependency present — and compose wiring every service, the telemetry stack and Grafana's
// provisioning to files that exist.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = join(import.meta.dirname, "..", "..");
const deploy = join(root, "deploy");

interface Instruction {
  readonly op: string;
  readonly args: string;
}

/** The Dockerfile's instructions per stage (continuations joined, comments dropped). */
function dockerfile(): { args: Record<string, string>; stages: Instruction[][] } {
  const text = readFileSync(join(root, "Dockerfile"), "utf8").replace(/\\\n/g, " ");
  const args: Record<string, string> = {};
  const stages: Instruction[][] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) continue;
    const ins = { op: op.toUpperCase(), args: rest!.trim() };
    if (ins.op === "FROM") stages.push([ins]);
    else if (stages.length === 0 && ins.op === "ARG") {
      const [k, v] = ins.args.split("=");
      args[k!] = v ?? "";
    } else stages.at(-1)?.push(ins);
  }
  return { args, stages };
}

const DEV_ONLY = [
  "vitest",
  "@biomejs/biome",
  "typescript",
  "ts-proto",
  "@bufbuild/buf",
  "fast-check",
  "kubernetes-models",
];

describe("Dockerfile", () => {
  const { args, stages } = dockerfile();
  const runtime = stages.at(-1)!;
  const from = (stage: Instruction[]) =>
    stage[0]!.args.split(/\s+/)[0]!.replace(/^\$\{(\w+)\}$/, (_, k) => args[k]!);

  it("is multi-stage on one base image pinned by version and digest", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages)
      expect(from(stage)).toMatch(/^node:\d+\.\d+\.\d+-[a-z]+-slim@sha256:[0-9a-f]{64}$/);
    // The engines field of package.json accepts the image's Node.js.
    const major = Number(/^node:(\d+)/.exec(from(runtime))![1]);
    expect(major).toBeGreaterThanOrEqual(20);
  });

  it("runs as a non-root user with the switchyard binary as entrypoint", () => {
    const users = runtime.filter((i) => i.op === "USER");
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.args.split(":")[0]!;
    expect(user).not.toMatch(/^(root|0)$/);
    expect(Number(user)).toBeGreaterThan(999);
    // Nothing after USER switches back or runs as root.
    const after = runtime.slice(runtime.indexOf(users.at(-1)!) + 1);
    expect(after.filter((i) => i.op === "USER" || i.op === "RUN")).toEqual([]);
    const entrypoint = runtime.find((i) => i.op === "ENTRYPOINT")!;
    expect(JSON.parse(entrypoint.args)).toEqual(["switchyard"]);
    // `switchyard` on PATH is the CLI's bin, as package.json declares it.
    const link = runtime.find((i) => i.op === "RUN" && i.args.includes("/usr/local/bin/switchyard"))!;
    const cli = JSON.parse(readFileSync(join(root, "packages/cli/package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(link.args).toContain(
      `ln -s /app/${cli.bin.switchyard!.replace(/^\.\//, "")} /usr/local/bin/switchyard`,
    );
    expect(existsSync(join(root, "packages/cli", cli.bin.switchyard!))).toBe(true);
  });

  it("copies only the production closure into the runtime stage, fit for a read-only root", () => {
    const build = stages.slice(0, -1).flat();
    const deployRun = build.find(
      (i) => i.op === "RUN" && /pnpm --filter @switchyard\/cli deploy --prod/.test(i.args),
    );
    expect(deployRun).toBeDefined();
    const copies = runtime.filter((i) => i.op === "COPY");
    expect(copies.map((c) => c.args)).toEqual([expect.stringMatching(/^--from=build .*\/out \/app$/)]);
    expect(runtime.some((i) => i.op === "RUN" && /\b(pnpm|npm|yarn)\b/.test(i.args))).toBe(false);
    const env = runtime
      .filter((i) => i.op === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toContain("NODE_ENV=production");
    // The health port the image listens on is the one it exposes and checks.
    const port = /SWITCHYARD_HEALTH_LISTEN=[^:\s]+:(\d+)/.exec(env)![1]!;
    expect(runtime.find((i) => i.op === "EXPOSE")!.args.split(/\s+/)).toContain(port);
    expect(runtime.find((i) => i.op === "HEALTHCHECK")!.args).toContain(`:${port}/livez`);
    const ignore = readFileSync(join(root, ".dockerignore"), "utf8");
    expect(ignore).toMatch(/^\*\*\/node_modules$/m);
  });

  describe("the build stage's `pnpm deploy --prod`, run here", () => {
    const out = join(mkdtempSync(join(tmpdir(), "switchyard-image-")), "out");
    // pnpm deploy also leaves `.bin` shims under <repo>/<out without its leading slash>: remove both.
    const stray = join(root, relative("/", resolve(out, "..")));
    afterAll(() => {
      rmSync(resolve(out, ".."), { recursive: true, force: true });
      rmSync(stray, { recursive: true, force: true });
      for (let dir = resolve(stray, ".."); dir.startsWith(`${root}/`); dir = resolve(dir, "..")) {
        // pnpm does not always leave them (a fresh clone did not): a missing folder is nothing to remove.
        if (existsSync(dir) && readdirSync(dir).length > 0) break;
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("holds no devDependency and starts `switchyard help` outside the repository", () => {
      execFileSync("pnpm", ["--filter", "@switchyard/cli", "deploy", "--prod", "--legacy", out], {
        cwd: root,
        stdio: "pipe",
      });
      const installed = readdirSync(join(out, "node_modules", ".pnpm"));
      for (const dev of DEV_ONLY)
        expect(
          installed.filter((d) => d.startsWith(`${dev.replace("/", "+")}@`)),
          dev,
        ).toEqual([]);
      const r = spawnSync(process.execPath, [join(out, "bin/switchyard.mjs"), "help"], {
        cwd: tmpdir(),
        encoding: "utf8",
        env: { PATH: process.env.PATH, HOME: tmpdir() },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain("usage: switchyard <command>");
    });
  });
});

describe("deploy/compose.yaml", () => {
  const compose = parse(readFileSync(join(deploy, "compose.yaml"), "utf8"), { merge: true }) as {
    services: Record<
      string,
      {
        image?: string;
        build?: { context: string; dockerfile: string };
        command?: string[];
        environment?: Record<string, string>;
        volumes?: string[];
        read_only?: boolean;
        user?: string;
        tmpfs?: string[];
      }
    >;
  };
  const services = compose.services;

  it("runs each platform service from the Dockerfile, read-only, non-root, with its --target", () => {
    for (const target of ["relay", "router", "agent-presence", "media-gateway", "admin-api"]) {
      const s = services[target]!;
      expect(s.build, target).toEqual({ context: "..", dockerfile: "Dockerfile" });
      expect(existsSync(join(deploy, s.build!.context, s.build!.dockerfile))).toBe(true);
      expect(s.command!.slice(0, 3)).toEqual(["run", "--target", target]);
      expect(s.read_only).toBe(true);
      expect(s.tmpfs).toContain("/tmp");
      expect(s.user).toMatch(/^[1-9]\d{3,}:/);
      expect(s.environment).toMatchObject({
        NATS_URL: "nats://nats:4222",
        OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector:4318",
        OTEL_SERVICE_NAME: `switchyard-${target}`,
      });
      expect(s.environment!.DATABASE_URL).toMatch(/@postgres:5432\//);
    }
  });

  it("pins every other image to a version and mounts only files that exist", () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build) continue;
      expect(s.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+(\.\d+)?[\w.-]*$/);
      for (const v of s.volumes ?? []) {
        const [source] = v.split(":");
        if (source!.startsWith("."))
          expect(existsSync(join(deploy, source!)), `${name}: ${source}`).toBe(true);
      }
    }
    for (const s of ["postgres", "nats", "otel-collector", "tempo", "prometheus", "grafana"])
      expect(services[s], s).toBeDefined();
  });

  it("configures NATS with JetStream and sync_interval: always", () => {
    const conf = readFileSync(join(deploy, "nats/nats.conf"), "utf8");
    expect(conf).toMatch(/jetstream\s*\{[^}]*sync_interval:\s*always/);
  });

  it("wires traces to Tempo, metrics to Prometheus, and Grafana's data sources to both", () => {
    const collector = parse(readFileSync(join(deploy, "otel-collector/config.yaml"), "utf8")) as {
      exporters: Record<string, { endpoint: string }>;
      service: { pipelines: Record<string, { exporters: string[] }> };
    };
    const traceExporter = collector.service.pipelines.traces!.exporters[0]!;
    expect(collector.exporters[traceExporter]!.endpoint).toBe("tempo:4317");
    const metricsPort = collector.exporters.prometheus!.endpoint.split(":")[1];
    const prometheus = parse(readFileSync(join(deploy, "prometheus/prometheus.yml"), "utf8")) as {
      scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toContain(`otel-collector:${metricsPort}`);
    expect(targets).toEqual(expect.arrayContaining(["postgres-exporter:9187", "nats-exporter:7777"]));
    const datasources = parse(
      readFileSync(join(deploy, "grafana/provisioning/datasources/switchyard.yaml"), "utf8"),
    ) as { datasources: Array<{ uid: string; url: string }> };
    const url = (uid: string) => datasources.datasources.find((d) => d.uid === uid)!.url;
    expect(url("prometheus")).toBe("http://prometheus:9090");
    expect(url("tempo")).toBe("http://tempo:3200");
    const tempo = parse(readFileSync(join(deploy, "tempo/tempo.yaml"), "utf8")) as {
      server: { http_listen_port: number };
    };
    expect(tempo.server.http_listen_port).toBe(3200);
    // Grafana loads the dashboards from where the provider looks.
    const provider = parse(
      readFileSync(join(deploy, "grafana/provisioning/dashboards/switchyard.yaml"), "utf8"),
    ) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(services.grafana!.volumes).toContain(
      `./grafana/dashboards:${provider.providers[0]!.options.path}:ro`,
    );
  });
});
