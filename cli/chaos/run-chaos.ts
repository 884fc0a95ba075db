// npm run chaos [-- --short] [-- --only processor-kill,uplink-cut]
// Runs the fault-injection scenarios and prints the reconciliation table (Markdown).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { consoleLogger } from "../src/console-logger.ts";
import { formatReconciliations, type Reconciliation } from "./reconcile.ts";
import { FULL, SCENARIOS, SHORT } from "./scenarios.ts";

const { values } = parseArgs({
  options: { short: { type: "boolean", default: false }, only: { type: "string" }, verbose: { type: "boolean" } },
});
const scale = values.short ? SHORT : FULL;
const only = values.only?.split(",");
const dir = mkdtempSync(join(tmpdir(), "lifeline-chaos-"));
const results: Reconciliation[] = [];
try {
  for (const scenario of SCENARIOS) {
    if (only !== undefined && !only.includes(scenario.name)) continue;
    process.stderr.write(`chaos: ${scenario.name}: ${scenario.fault} …\n`);
    const result = await scenario.run({
      dir,
      scale,
      progress: (line) => process.stderr.write(`chaos: ${line}\n`),
      ...(values.verbose ? { log: consoleLogger("edge-agent") } : {}),
    });
    results.push(result);
    process.stderr.write(`chaos: ${scenario.name}: ${result.ok ? "ok" : "FAILED"} in ${result.seconds.toFixed(0)} s\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`\n${formatReconciliations(results)}\n`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
