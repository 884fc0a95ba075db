// Run as a child process: chdb opens one data folder per process, and a chaos run checks several.
// Usage: node --import tsx count-stored.ts CLICKHOUSE_DIR GATEWAY → one JSON line on stdout.
import { ChdbDriver, TelemetryStore } from "@lifeline/store";

const [dir, gateway] = process.argv.slice(2);
if (dir === undefined || gateway === undefined) throw new Error("usage: count-stored.ts CLICKHOUSE_DIR GATEWAY");
const store = await TelemetryStore.open(new ChdbDriver(dir));
const [rows] = await store.driver.query<{ rows: number; distinct: number }>(
  `SELECT toUInt64(count()) AS rows, toUInt64(uniqExact(boot_id, seq, idx)) AS distinct
   FROM telemetry WHERE gateway = {g:String} AND device != {g:String}`,
  { g: gateway },
);
const [reported] = await store.driver.query<{ envelopes: number; readings: number }>(
  `SELECT toUInt64(sumIf(value, metric = 'agent.journal.lost_envelopes')) AS envelopes,
          toUInt64(sumIf(value, metric = 'agent.journal.lost_readings')) AS readings
   FROM telemetry WHERE gateway = {g:String} AND device = {g:String}`,
  { g: gateway },
);
// The rollups count what raw holds of good and uncertain quality (bad readings are not rolled up).
const [rollups] = await store.driver.query<{ good: number; minutes: number; hours: number; index: number }>(
  `SELECT (SELECT toUInt64(countIf(quality != 'bad')) FROM telemetry WHERE gateway = {g:String} AND device != {g:String}) AS good,
          (SELECT toUInt64(sum(samples)) FROM telemetry_1m WHERE gateway = {g:String} AND device != {g:String}) AS minutes,
          (SELECT toUInt64(sum(samples)) FROM telemetry_1h WHERE gateway = {g:String} AND device != {g:String}) AS hours,
          (SELECT toUInt64(sum(samples)) FROM series_index WHERE gateway = {g:String} AND device != {g:String}) AS index`,
  { g: gateway },
);
const gaps = await store.sequenceGaps({ gateway });
process.stdout.write(
  `${JSON.stringify({
    rows: Number(rows?.rows ?? 0),
    distinct: Number(rows?.distinct ?? 0),
    reportedLostEnvelopes: Number(reported?.envelopes ?? 0),
    reportedLostReadings: Number(reported?.readings ?? 0),
    gapEnvelopes: gaps.reduce((n, g) => n + g.missing, 0),
    rollupGood: Number(rollups?.good ?? 0),
    rollupMinutes: Number(rollups?.minutes ?? 0),
    rollupHours: Number(rollups?.hours ?? 0),
    rollupIndex: Number(rollups?.index ?? 0),
  })}\n`,
);
await store.close();
