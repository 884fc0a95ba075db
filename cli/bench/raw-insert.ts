// Child process: the store's own insert rate on this machine, the physical limit of the pipeline.
// Usage: node --import tsx raw-insert.ts DIR ROWS BATCH [IN_FLIGHT] → one JSON line {rows, seconds, cpu}.
//
// Every batch is built before the clock starts, from envelopes the way the stream processor builds
// it (a Native block): what is timed is the store alone. (Building the next batch while one inserted was
// the first design; once chdb read inserts from a file, building TabSeparated text took longer
// than inserting it, and the figure measured the builder.)
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver, TelemetryNative, TelemetryStore } from "@lifeline/store";

const [dir, rowsArg, batchArg, inFlightArg] = process.argv.slice(2);
const total = Number(rowsArg ?? 3_000_000);
const batchSize = Number(batchArg ?? 50_000);
const inFlight = Number(inFlightArg ?? 1);
const store = await TelemetryStore.open(new ChdbDriver(dir ?? "raw"));
const t0 = Date.now();
const METRICS = [
  ["energy", "kWh"],
  ["power", "kW"],
  ["voltage", "V"],
] as const;

/** 1,000 smart meters, 3 readings a message, a message per meter per second of source time. */
function buildBatches(): TelemetryNative[] {
  const batches: TelemetryNative[] = [];
  let seq = 0;
  for (let built = 0; built < total; built += batchSize) {
    const batch = new TelemetryNative(batchSize);
    for (let i = 0; i < batchSize; i += METRICS.length, seq++) {
      const meter = `meter-${seq % 1000}`;
      const envelope: Envelope = {
        v: 1,
        site: "raw",
        gateway: meter,
        device: meter,
        bootId: "raw",
        seq,
        readings: METRICS.map(([metric, unit], idx) => ({
          metric,
          ts: t0 + seq,
          value: seq * 0.1 + idx,
          unit,
          quality: "good" as const,
        })),
      };
      batch.addEnvelope(envelope, seq + 1);
    }
    batches.push(batch);
  }
  return batches;
}

const batches = buildBatches().map((batch, i) => ({ batch, token: `raw-${i}` }));
let next = 0;
let rows = 0;
async function insertLoop(): Promise<void> {
  for (let b = batches[next++]; b !== undefined; b = batches[next++]) {
    const inserted = await store.insertTelemetryBatch(b.batch, b.token);
    rows += inserted;
  }
}
const cpu0 = process.cpuUsage();
const start = performance.now();
await Promise.all(Array.from({ length: inFlight }, insertLoop));
const elapsed = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu0);
process.stdout.write(`${JSON.stringify({ rows, seconds: elapsed, cpu: (used.user + used.system) / 1e4 / elapsed })}\n`);
await store.close();
