// Run as a child process (chdb opens a data folder in one process at a time), under strace in
// insert-repair.test.ts and synced-parts.test.ts: inserts readings the way the stream processor
// does, under a token — or, with `complete`, completes them as it does an insert written down.
// Usage: node --import tsx insert-child.ts CLICKHOUSE_DIR TOKEN ROWS_JSON [complete]
import { ChdbDriver, type TelemetryRow, TelemetryRowBinary, TelemetryStore } from "../src/index.ts";

const [dir, token, json, mode] = process.argv.slice(2);
if (dir === undefined || token === undefined || json === undefined) {
  throw new Error("usage: insert-child.ts CLICKHOUSE_DIR TOKEN ROWS_JSON [complete]");
}
const rows = JSON.parse(json) as TelemetryRow[];
const store = await TelemetryStore.open(new ChdbDriver(dir));
if (mode === "complete") {
  await store.completeInsert({ format: "RowBinary", bytes: TelemetryRowBinary.fromRows(rows).toBuffer() }, token);
} else await store.insertTelemetry(rows, token);
await store.close();
process.stdout.write(`${mode === "complete" ? "completed" : "inserted"}\n`);
