// Hand check of postgres-tskv.ts: starts PostgreSQL, loads a dataset, runs the queries, stops.
// Usage: node --import tsx postgres-tskv.check.ts WORKDIR [SENSORS PER_SENSOR INTERVAL_MS PER_SITE RUNS HOLD_S]
// HOLD_S > 0 keeps the server up for psql until WORKDIR/release exists or HOLD_S passes.
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { loadTsKv, type QueryDataset, runTsKvQueries, startPostgres } from "./postgres-tskv.ts";

const [workDir = "/tmp/pg-tskv-check", ...nums] = process.argv.slice(2);
const [sensors = 20, perSensor = 2_000, intervalMs = 60_000, sensorsPerSite = 10, runs = 5, holdS = 0] =
  nums.map(Number);
const ds: QueryDataset = { sensors, perSensor, intervalMs, startMs: Date.UTC(2026, 9, 1), sensorsPerSite };
const pg = await startPostgres(workDir);
try {
  console.log(`port ${pg.port}, data ${pg.dataDir}`);
  const load = await loadTsKv(pg.client, ds, (p) =>
    console.log(`loaded ${p.rows}/${p.totalRows} in ${(p.elapsedMs / 1000).toFixed(1)} s`),
  );
  console.log(JSON.stringify(load));
  for (const t of await runTsKvQueries(pg.client, ds, { runs })) {
    console.log(
      `${t.name} median ${t.medianMs.toFixed(1)} ms [${t.ms.map((m) => m.toFixed(1)).join(", ")}] rows ${t.rows}`,
    );
    console.log(`   ${JSON.stringify(t.checksum)}`);
  }
  for (let s = 0; s < holdS && !existsSync(`${workDir}/release`); s++) await sleep(1000);
} finally {
  await pg.stop();
}
