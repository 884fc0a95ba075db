// Child process: the store's own insert rate on this machine, the physical limit of the pipeline.
// Usage: node --import tsx raw-insert.ts DIR SECONDS BATCH → one JSON line {rows, seconds, cpu}.
import { ChdbDriver, type TelemetryRow, TelemetryStore } from "@lifeline/store";

const [dir, secondsArg, batchArg] = process.argv.slice(2);
const seconds = Number(secondsArg ?? 10);
const batchSize = Number(batchArg ?? 10_000);
const store = await TelemetryStore.open(new ChdbDriver(dir ?? "raw"));
const t0 = Date.now();
let rows = 0;
let seq = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  const batch: TelemetryRow[] = [];
  for (let i = 0; i < batchSize; i += 3, seq++) {
    for (let idx = 0; idx < 3; idx++) {
      batch.push({
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
  await store.insertTelemetry(batch, `raw-${seq}`);
  rows += batch.length;
}
const elapsed = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ rows, seconds: elapsed, cpu: (used.user + used.system) / 1e4 / elapsed })}\n`);
await store.close();
