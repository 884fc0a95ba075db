// Child process: the store's own insert rate on this machine, the physical limit of the pipeline.
// Usage: node --import tsx raw-insert.ts DIR SECONDS BATCH → one JSON line {rows, seconds, cpu}.
//
// Batches are TabSeparated text, as the stream processor writes them, and the next one is built
// while ClickHouse inserts the last (the insert runs on libuv's pool): what is timed is the
// store, not the making of rows.
import { ChdbDriver, TelemetryStore, TelemetryTsv } from "@lifeline/store";

const [dir, secondsArg, batchArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 10);
const batchSize = Number(batchArg ?? 10_000);
const store = await TelemetryStore.open(new ChdbDriver(dir ?? "raw"));
const t0 = Date.now();
let seq = 0;

/** 1,000 smart meters, 3 readings a message, a message per meter per second of source time. */
function nextBatch(): TelemetryTsv {
  const tsv = new TelemetryTsv();
  for (let i = 0; i < batchSize; i += 3, seq++) {
    for (let idx = 0; idx < 3; idx++) {
      tsv.addRow({
        site: "raw",
        gateway: `meter-${seq % 1000}`,
        device: `meter-${seq % 1000}`,
        metric: ["energy", "power", "voltage"][idx] ?? "energy",
        ts: t0 + seq,
        value: seq * 0.1 + idx,
        unit: ["kWh", "kW", "V"][idx] ?? "",
        quality: "good",
        boot_id: "raw",
        seq,
        idx,
        stream_seq: seq + 1,
      });
    }
  }
  return tsv;
}

let rows = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
let batch = nextBatch();
while (performance.now() - start < seconds * 1000) {
  const inserting = store.insertTelemetryTsv(batch, `raw-${seq}`);
  const next = nextBatch();
  rows += await inserting;
  batch = next;
}
const elapsed = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ rows, seconds: elapsed, cpu: (used.user + used.system) / 1e4 / elapsed })}\n`);
await store.close();
