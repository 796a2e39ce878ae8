// `pnpm bench`: runs every benchmark of the repository one after another and lets each print its numbers.
// Benchmarks need DATABASE_URL / NATS_URL (`eval "$(bash infra/ensure-services.sh)"`). BENCH_SECONDS
// shortens or lengthens the timed phases.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const benches = [
  "packages/event-store/bench/append.bench.ts",
  "packages/bus/test/bus-bench.ts",
  "services/relay/test/relay-bench.ts",
  "services/media-gateway/test/gateway-bench.ts",
  "test/bench/routing-bench.ts",
];
let failed = 0;
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", bench], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    failed += 1;
    console.log(`(${bench} exited with ${result.status ?? result.signal})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
