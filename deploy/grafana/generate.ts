// Writes dashboards/<name>.json from dashboards.ts. Run after changing a dashboard or a telemetry name:
//   pnpm -s dashboards
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DASHBOARDS, dashboardJson } from "./dashboards.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "dashboards");
mkdirSync(out, { recursive: true });
for (const [name, build] of Object.entries(DASHBOARDS)) {
  writeFileSync(join(out, `${name}.json`), dashboardJson(build));
  console.log(`deploy/grafana/dashboards/${name}.json`);
}
