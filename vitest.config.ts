import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["*/test/**/*.test.ts"],
    // chdb allows one process per data folder and holds process-wide state: each file gets its own process.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default", "./scripts/summary-reporter.ts"],
    env: { ORT_DISABLE_TELEMETRY: "1", TURBO_TELEMETRY_DISABLED: "1" },
  },
});
