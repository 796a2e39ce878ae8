// The Helm chart (deploy/helm/switchyard): helm lint and helm template with the default and a production-like
// values file, every rendered object validated against its Kubernetes schema (kubernetes-models; the
// ServiceMonitor against the Prometheus Operator's), the wiring checked (one image, --target per service,
// probes on real health endpoints, drain inside the grace period, HPA/PDB/Service selectors, NATS with
// JetStream R3 and sync_interval: always), and values.schema.json rejecting bad values. helm comes from
// infra/install-helm.sh (.tools/bin); without it the suite is skipped with one line.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

const root = join(import.meta.dirname, "..", "..");
const chart = join(root, "deploy", "helm", "switchyard");
const production = join(root, "deploy", "helm", "examples", "production.yaml");

function installHelm(): string | undefined {
  const r = spawnSync("bash", [join(root, "infra", "install-helm.sh")], { encoding: "utf8" });
  if (r.status === 0) return r.stdout.trim().split("\n").at(-1);
  console.log(`helm chart tests skipped: helm cannot be installed (${r.stderr.trim().split("\n").at(-1)})`);
  return undefined;
}
const helm = installHelm();

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

function run(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(helm!, args, { encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function template(...args: string[]): K8sObject[] {
  const out = execFileSync(helm!, ["template", "rel", chart, "--namespace", "calls", ...args], {
    encoding: "utf8",
  });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** The kubernetes-models class of an object's apiVersion/kind. */
async function modelOf(o: K8sObject): Promise<new (data: unknown) => { validate(): void }> {
  const module =
    o.apiVersion === "monitoring.coreos.com/v1"
      ? await import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1")
      : await import(`kubernetes-models/${o.apiVersion}`);
  const model = (module as Record<string, unknown>)[o.kind];
  if (typeof model !== "function") throw new Error(`no schema for ${o.apiVersion} ${o.kind}`);
  return model as new (
    data: unknown,
  ) => { validate(): void };
}

type Container = {
  name: string;
  image: string;
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  startupProbe: { httpGet: { path: string; port: string } };
  securityContext: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds: number;
  securityContext: { runAsNonRoot?: boolean };
};
const podOf = (o: K8sObject) =>
  (o.spec as { template: { spec: PodSpec; metadata: { labels: Record<string, string> } } }).template;
const envOf = (c: Container, name: string) => c.env.find((e) => e.name === name)?.value;
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

const SERVICES = ["router", "agent-presence", "media-gateway", "admin-api", "relay"];

describe.skipIf(!helm)("helm chart deploy/helm/switchyard", () => {
  it("passes helm lint with the default and the production-like values", () => {
    for (const args of [[], ["-f", production]]) {
      const r = run(["lint", chart, "--strict", ...args]);
      expect(r.status, r.out).toBe(0);
    }
  });

  for (const [name, args] of [
    ["default values", [] as string[]],
    ["production-like values", ["-f", production]],
  ] as const) {
    describe(name, () => {
      const objects = helm ? template(...args) : [];

      it("renders objects that each validate against their Kubernetes schema", async () => {
        expect(objects.length).toBeGreaterThan(10);
        for (const o of objects) {
          const Model = await modelOf(o);
          expect(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
        }
      });

      it("runs every service from one image with --target, probes on the health endpoints, draining inside the grace period", () => {
        const deployments = objects.filter((o) => o.kind === "Deployment");
        expect(deployments.map((d) => d.metadata.labels?.["app.kubernetes.io/component"]).sort()).toEqual(
          [...SERVICES].sort(),
        );
        const images = new Set(deployments.map((d) => podOf(d).spec.containers[0]!.image));
        expect(images.size).toBe(1);
        for (const d of deployments) {
          const component = d.metadata.labels!["app.kubernetes.io/component"]!;
          const pod = podOf(d).spec;
          const c = pod.containers[0]!;
          expect(c.args.slice(0, 3)).toEqual(["run", "--target", component]);
          const listen = c.args[c.args.indexOf("--health-listen") + 1]!;
          const health = c.ports.find((p) => p.name === "health")!;
          expect(listen).toBe(`0.0.0.0:${health.containerPort}`);
          expect(c.livenessProbe.httpGet).toEqual({ path: "/livez", port: "health" });
          expect(c.startupProbe.httpGet).toEqual({ path: "/livez", port: "health" });
          expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "health" });
          expect(Number(envOf(c, "SWITCHYARD_SHUTDOWN_TIMEOUT"))).toBeLessThan(
            pod.terminationGracePeriodSeconds,
          );
          expect(envOf(c, "SWITCHYARD_LOG_FORMAT")).toBe("json");
          expect(envOf(c, "OTEL_SERVICE_NAME")).toBe(`switchyard-${component}`);
          expect(c.env.find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef).toBeDefined();
          const natsUrl = c.env.find((e) => e.name === "NATS_URL")!;
          if (natsUrl.value !== undefined) {
            // The chart's NATS with least privilege: the service's own user, its password from the users Secret.
            expect(natsUrl.value).toMatch(
              new RegExp(`^nats://sy_${component.replace(/-/g, "_")}:\\$\\(NATS_PASSWORD\\)@`),
            );
            expect(c.env.find((e) => e.name === "NATS_PASSWORD")?.valueFrom?.secretKeyRef?.key).toBe(
              component,
            );
          } else expect(natsUrl.valueFrom?.secretKeyRef).toBeDefined();
          expect(c.securityContext).toMatchObject({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
          });
          expect(pod.securityContext.runAsNonRoot).toBe(true);
        }
      });

      it("points HPA, PDBs, Services and NetworkPolicies at pods that exist", () => {
        const deployments = objects.filter((o) => o.kind === "Deployment");
        const labelsOf = (name: string) =>
          podOf(deployments.find((d) => d.metadata.name === name)!).metadata.labels;
        const hpa = objects.find((o) => o.kind === "HorizontalPodAutoscaler")!;
        const target = (hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name;
        expect(labelsOf(target)["app.kubernetes.io/component"]).toBe("router");
        expect(
          (deployments.find((d) => d.metadata.name === target)!.spec as { replicas?: number }).replicas,
          "the HPA owns the router's replicas",
        ).toBeUndefined();
        const pods = [
          ...deployments.map((d) => podOf(d).metadata.labels),
          ...objects.filter((o) => o.kind === "StatefulSet").map((s) => podOf(s).metadata.labels),
        ];
        for (const pdb of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
          const sel = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector
            .matchLabels;
          expect(
            pods.filter((l) => matches(sel, l)),
            pdb.metadata.name,
          ).toHaveLength(1);
        }
        for (const np of objects.filter((o) => o.kind === "NetworkPolicy")) {
          const sel = (np.spec as { podSelector: { matchLabels: Record<string, string> } }).podSelector
            .matchLabels;
          expect(
            pods.filter((l) => matches(sel, l)),
            np.metadata.name,
          ).toHaveLength(1);
        }
        for (const svc of objects.filter((o) => o.kind === "Service")) {
          const spec = svc.spec as { selector: Record<string, string>; ports: Array<{ targetPort: string }> };
          const matched = [...deployments, ...objects.filter((o) => o.kind === "StatefulSet")].filter((d) =>
            matches(spec.selector, podOf(d).metadata.labels),
          );
          expect(matched, svc.metadata.name).toHaveLength(1);
          const ports = podOf(matched[0]!).spec.containers[0]!.ports.map((p) => p.name);
          for (const p of spec.ports)
            expect(ports, `${svc.metadata.name} → ${p.targetPort}`).toContain(p.targetPort);
        }
        // Every secret a pod reads is rendered here or named by the values as existing.
        const secrets = new Set(objects.filter((o) => o.kind === "Secret").map((s) => s.metadata.name));
        for (const d of deployments)
          for (const e of podOf(d).spec.containers[0]!.env) {
            const ref = e.valueFrom?.secretKeyRef;
            if (ref && !secrets.has(ref.name))
              expect(["switchyard-database"], `secret ${ref.name}`).toContain(ref.name);
          }
      });
    });
  }

  it("production-like: the chart's NATS is a 3-node JetStream cluster with sync_interval: always and R3 streams", () => {
    const objects = template("-f", production);
    const sts = objects.find((o) => o.kind === "StatefulSet")!;
    expect((sts.spec as { replicas: number }).replicas).toBe(3);
    const conf = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name.endsWith("-nats"))!.data![
      "nats.conf"
    ]!;
    expect(conf).toMatch(/jetstream\s*\{[^}]*sync_interval:\s*always/);
    expect(conf.match(/nats:\/\/rel-switchyard-nats-\d\.rel-switchyard-nats-headless:6222/g)).toHaveLength(3);
    for (const d of objects.filter((o) => o.kind === "Deployment"))
      expect(envOf(podOf(d).spec.containers[0]!, "SWITCHYARD_STREAM_REPLICAS")).toBe("3");
    const secret = objects.find((o) => o.kind === "Secret")!;
    expect(secret.stringData?.["nats-url"]).toBe("nats://rel-switchyard-nats:4222");
    expect(secret.stringData).not.toHaveProperty("database-url");
    expect(objects.some((o) => o.kind === "ServiceMonitor")).toBe(true);
  });

  it("production-like: least-privilege NATS users from the platform's own nats-config, setup as admin", () => {
    const objects = template("-f", production);
    const sts = objects.find((o) => o.kind === "StatefulSet")!;
    const pod = podOf(sts).spec;
    const init = pod.initContainers![0]!;
    const router = objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-router"))!;
    // The users' subjects are built for the prefix the services use.
    expect(init.args.slice(0, 3)).toEqual([
      "nats-config",
      "--prefix",
      envOf(podOf(router).spec.containers[0]!, "SWITCHYARD_PREFIX"),
    ]);
    const users = objects.find((o) => o.kind === "Secret" && o.metadata.name.endsWith("-nats-users"))!;
    const roles = ["admin", ...SERVICES];
    expect(Object.keys((users as unknown as { data: Record<string, string> }).data).sort()).toEqual(
      [...roles].sort(),
    );
    // nats-server reads a password's variable as a configuration value: one starting with a digit ("9e3…")
    // is not a string and the server refuses to start. Rendered 20 times, every password starts with a letter.
    for (let i = 0; i < 20; i++) {
      const again = template("-f", production).find(
        (o) => o.kind === "Secret" && o.metadata.name.endsWith("-nats-users"),
      ) as unknown as { data: Record<string, string> };
      for (const v of Object.values(again.data))
        expect(Buffer.from(v, "base64").toString()).toMatch(/^[A-Za-z][A-Za-z0-9]{31}$/);
    }
    const natsEnv = pod.containers[0]!.env.map((e) => e.name);
    for (const r of roles)
      expect(natsEnv).toContain(`SWITCHYARD_NATS_${r.toUpperCase().replace(/-/g, "_")}_PASSWORD`);
    const job = objects.find((o) => o.kind === "Job")!;
    expect(job.metadata.annotations?.["helm.sh/hook"]).toBe("post-install,post-upgrade");
    const setup = podOf(job).spec.containers[0]!;
    expect(setup.args).toEqual(["setup"]);
    expect(envOf(setup, "NATS_URL")).toMatch(/^nats:\/\/sy_admin:\$\(NATS_PASSWORD\)@/);
  });

  it("merges admin tokens into the configuration Secret the pods mount", () => {
    const sha = "a".repeat(64);
    const objects = template(
      "--set",
      `admin.tokens[0].name=ops,admin.tokens[0].role=admin,admin.tokens[0].sha256=${sha}`,
    );
    const config = objects.find((o) => o.kind === "Secret" && o.metadata.name.endsWith("-config"))!;
    expect(config.stringData!["config.yaml"]).toContain(sha);
    const router = objects.find((o) => o.kind === "Deployment" && o.metadata.name.endsWith("-router"))!;
    expect(envOf(podOf(router).spec.containers[0]!, "SWITCHYARD_CONFIG")).toBe("/etc/switchyard/config.yaml");
  });

  it("the chart README lists every value of values.yaml", () => {
    const values = parseAllDocuments(readFileSync(join(chart, "values.yaml"), "utf8"))[0]!.toJS() as Record<
      string,
      unknown
    >;
    // The first cell of each row of the README's values table: `a.b`, or several (`x`, `y`).
    const documented = readFileSync(join(chart, "README.md"), "utf8")
      .split("\n")
      .filter((l) => l.startsWith("| `"))
      .flatMap((l) => [...l.split("|")[1]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
    const normal = (path: string) =>
      path.replace(
        /^services\.(router|agentPresence|mediaGateway|adminApi|relay)\.(?!autoscaling|mediaVolumeClaim|port)/,
        "services.<service>.",
      );
    // A row documents its value and everything under it (resources, security contexts).
    const listed = (path: string) =>
      documented.some((d) => normal(path) === d || normal(path).startsWith(`${d}.`));
    const leaves = (o: unknown, prefix: string): string[] =>
      o && typeof o === "object" && !Array.isArray(o) && Object.keys(o).length > 0
        ? Object.entries(o).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k))
        : [prefix];
    const missing = leaves(values, "").filter((p) => !listed(p));
    expect(missing).toEqual([]);
  });

  it("values.schema.json rejects bad values", () => {
    for (const [set, why] of [
      ["services.router.replicas=-1", "services.router.replicas"],
      ["telemetry.metricsExporter=jaeger", "telemetry.metricsExporter"],
      ["nats.replicas=2", "nats.replicas"],
      ["prefix=Bad-Prefix", "prefix"],
      ["database.url=mysql://x", "database.url"],
      ["routerReplicas=3", "routerReplicas"],
      ["admin.tokens[0].name=ops,admin.tokens[0].role=root,admin.tokens[0].sha256=abc", "admin.tokens"],
    ]) {
      const r = run(["template", "rel", chart, "--set", set!]);
      expect(r.status, `${set} accepted`).not.toBe(0);
      expect(r.out, set).toContain("values don't meet the specifications of the schema");
      expect(r.out, set).toContain(why!);
    }
  });
});
