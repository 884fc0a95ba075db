// Child process (chdb opens one data folder per process): rows and distinct identities per site.
// Usage: node --import tsx count-site.ts CLICKHOUSE_DIR → JSON lines {site, rows, distinct}.
import { ChdbDriver, TelemetryStore } from "@lifeline/store";

const [dir] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: count-site.ts CLICKHOUSE_DIR");
const store = await TelemetryStore.open(new ChdbDriver(dir));
const rows = await store.driver.query<{ site: string; rows: number; distinct: number }>(
  `SELECT site, toUInt64(count()) AS rows, toUInt64(uniqExact(gateway, boot_id, seq, idx)) AS distinct
   FROM telemetry GROUP BY site ORDER BY site`,
);
for (const r of rows)
  process.stdout.write(`${JSON.stringify({ ...r, rows: Number(r.rows), distinct: Number(r.distinct) })}\n`);
await store.close();
