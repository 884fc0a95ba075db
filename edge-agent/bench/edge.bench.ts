// `npm run bench:edge`: every edge-agent benchmark, one child process each, so that CPU and memory
// figures belong to one benchmark alone. Arguments are passed to each.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const dir = import.meta.dirname;
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts") && f !== "edge.bench.ts")
  .sort();
let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n== ${file}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(dir, file), ...process.argv.slice(2)], {
    stdio: "inherit",
    env: { ...process.env, ORT_DISABLE_TELEMETRY: "1" },
  });
  if (r.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
