// Run as a child process (chdb opens a data folder in one process at a time), under strace in
// insert-repair.test.ts: inserts readings the way the stream processor does, under a token.
// Usage: node --import tsx insert-child.ts CLICKHOUSE_DIR TOKEN ROWS_JSON
import { ChdbDriver, type TelemetryRow, TelemetryStore } from "../src/index.ts";

const [dir, token, json] = process.argv.slice(2);
if (dir === undefined || token === undefined || json === undefined) {
  throw new Error("usage: insert-child.ts CLICKHOUSE_DIR TOKEN ROWS_JSON");
}
const store = await TelemetryStore.open(new ChdbDriver(dir));
await store.insertTelemetry(JSON.parse(json) as TelemetryRow[], token);
await store.close();
process.stdout.write("inserted\n");
