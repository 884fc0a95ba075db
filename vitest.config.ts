import { relative } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest, longest first, as CI measured them (2026-12-01, session 13's last
 * clean clone: 202, 72, 38, 31, 30, 23 s; `probe-modbus`, 21 s before node-opcua loaded only where
 * used, now takes ~7). CI has no timings cached from earlier runs, so vitest started files
 * largest first and `chaos` (171 s) began last: the other worker stood idle for its last ~2.5
 * minutes of a 10.6-minute run. Started first, the long ones overlap the many short ones.
 */
const LONGEST_FIRST = [
  "cli/test/chaos.test.ts",
  "cli/test/up-command.test.ts",
  "cli/test/probe-opcua.test.ts",
  "cli/test/video-end-to-end.test.ts",
  "analytics/test/batadal-train.test.ts",
  "cli/test/analytics-registry.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const at = LONGEST_FIRST.indexOf(relative(f.project.config.root, f.moduleId));
      return at === -1 ? LONGEST_FIRST.length : at;
    };
    // Array.prototype.sort is stable: the others keep vitest's order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ["*/test/**/*.test.ts"],
    // chdb allows one process per data folder and holds process-wide state: each file gets its own process.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    sequence: { sequencer: LongestFirst },
    reporters: ["default", "./scripts/summary-reporter.ts"],
    env: { ORT_DISABLE_TELEMETRY: "1", TURBO_TELEMETRY_DISABLED: "1" },
  },
});
