/**
 * What the rollup views cost at insert: 1,000,000 readings in 25,000-row RowBinary batches (as the
 * stream processor inserts) into a fresh store, with or without the views.
 *
 *   node --import tsx store/bench/rollup-insert-cost.ts dense|sparse [noviews] [drop=view,view]
 *
 * dense: 1,000 series at 1 Hz (60 readings per minute bucket); sparse: 50,000 series, a reading
 * every 51.84 s (each reading its own minute). Prints one JSON line: rows/s of the inserts and
 * process CPU µs per reading (building the rows in JS included).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { MIGRATIONS, migrate } from "../src/migrations.ts";
import { TelemetryRowBinary } from "../src/telemetry-row-binary.ts";
import type { TelemetryRow } from "../src/telemetry-rows.ts";

const [shape = "dense", ...rest] = process.argv.slice(2);
const views = !rest.includes("noviews");
const dropped =
  rest
    .find((a) => a.startsWith("drop="))
    ?.slice(5)
    .split(",") ?? [];
const dir = mkdtempSync(join(tmpdir(), "lifeline-rollup-cost-"));
const driver = new ChdbDriver(dir);
await migrate(driver, views ? MIGRATIONS : MIGRATIONS.slice(0, 1));
for (const view of dropped) await driver.exec(`DROP VIEW ${view}`);

const series = shape === "dense" ? 1_000 : 50_000;
const intervalMs = shape === "dense" ? 1_000 : 51_840;
const t0 = Date.UTC(2026, 9, 1);
let k = 0;
let s = 0;
let rows = 0;
let insertMs = 0;
const cpu0 = process.cpuUsage();
for (let b = 0; b < 40; b++) {
  const batch: TelemetryRow[] = [];
  for (let i = 0; i < 25_000; i++) {
    batch.push({
      site: `site-${s % 40}`,
      gateway: "gw",
      device: `d-${s}`,
      metric: "pm10",
      ts: t0 + k * intervalMs,
      value: (s * 7 + k) % 97,
      unit: "ug/m3",
      quality: "good",
      boot_id: "b",
      seq: k,
      idx: 0,
      stream_seq: rows + i,
    });
    if (++s === series) {
      s = 0;
      k++;
    }
  }
  const bytes = TelemetryRowBinary.fromRows(batch).toBuffer();
  const start = performance.now();
  await driver.insertRowBinary("telemetry", bytes, { insert_deduplication_token: `b${b}` });
  insertMs += performance.now() - start;
  rows += batch.length;
}
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({
    shape,
    views,
    dropped,
    rowsPerSecond: Math.round(rows / (insertMs / 1000)),
    cpuMicrosPerRow: Number(((cpu.user + cpu.system) / rows).toFixed(2)),
  })}\n`,
);
await driver.close();
rmSync(dir, { recursive: true, force: true });
