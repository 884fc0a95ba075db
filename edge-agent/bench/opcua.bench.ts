/**
 * OPC UA subscription throughput: `npx tsx edge-agent/bench/opcua.bench.ts [--items 1000] [--interval-ms 100]`.
 * The fixture server runs in a child process and changes every bench variable each interval; this
 * process runs the adapter alone. Per security mode: notifications delivered to the sink per
 * second and this process's CPU (process.cpuUsage), median of RUNS windows, each on a new adapter.
 */
import { parseArgs } from "node:util";
import { OpcuaAdapter, opcuaDeviceSchema, type SecurityModeName } from "../src/adapters/opcua/index.ts";
import { clientPkiCopy } from "../test/fixtures/opcua/recording-sink.ts";
import { OpcuaServerProcess } from "../test/fixtures/opcua/server-process.ts";

const { values } = parseArgs({
  options: {
    items: { type: "string", default: "1000" },
    "interval-ms": { type: "string", default: "100" },
    runs: { type: "string", default: "3" },
    "window-ms": { type: "string", default: "5000" },
  },
});
const ITEMS = Number(values.items);
const INTERVAL_MS = Number(values["interval-ms"]);
const RUNS = Number(values.runs);
const WINDOW_MS = Number(values["window-ms"]);
const WARMUP_MS = 2_000;

interface Run {
  perSecond: number;
  cpuPercent: number;
  cpuMicrosPerNotification: number;
  sinkCallsPerSecond: number;
  errors: number;
}

async function run(server: OpcuaServerProcess, securityMode: SecurityModeName): Promise<Run> {
  const pki = clientPkiCopy();
  const adapter = new OpcuaAdapter(
    opcuaDeviceSchema.parse({
      id: "bench",
      type: "opcua",
      endpointUrl: server.endpointUrl,
      securityMode,
      pkiDir: pki.dir,
      publishingIntervalMs: INTERVAL_MS,
      points: Array.from({ length: ITEMS }, (_, i) => ({
        name: `Bench ${i}`,
        metric: `bench.${i}`,
        nodeId: `ns=1;s=Bench.${i}`,
        samplingIntervalMs: 0, // report every change the server makes
        queueSize: 10,
      })),
    }),
  );
  let readings = 0;
  let calls = 0;
  let errors = 0;
  await adapter.start({
    readings: (_device, batch) => {
      readings += batch.length;
      calls++;
    },
    error: () => errors++,
  });
  await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
  const [r0, c0, e0] = [readings, calls, errors];
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
  const cpu = process.cpuUsage(cpu0);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const [n, k] = [readings - r0, calls - c0];
  await adapter.close();
  pki.remove();
  const cpuMicros = cpu.user + cpu.system;
  return {
    perSecond: n / seconds,
    cpuPercent: cpuMicros / 1e4 / seconds,
    cpuMicrosPerNotification: n > 0 ? cpuMicros / n : Number.NaN,
    sinkCallsPerSecond: k / seconds,
    errors: errors - e0,
  };
}

function median(rows: Run[], key: keyof Run): number {
  const sorted = rows.map((r) => r[key]).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const server = await OpcuaServerProcess.start({ benchItems: ITEMS, benchIntervalMs: INTERVAL_MS });
try {
  const offered = (ITEMS * 1000) / INTERVAL_MS;
  console.log(
    `OPC UA bench: ${ITEMS} monitored items changing every ${INTERVAL_MS} ms (${offered.toLocaleString("en-US")} changes/s offered), ` +
      `median of ${RUNS} runs of ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up, Node ${process.version}`,
  );
  console.log(
    "| security | notifications/s | client CPU (% of one core) | CPU µs/notification | sink calls/s | errors |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const mode of ["None", "SignAndEncrypt"] as const) {
    const rows: Run[] = [];
    for (let i = 0; i < RUNS; i++) rows.push(await run(server, mode));
    const label = mode === "None" ? "None" : "SignAndEncrypt, Basic256Sha256";
    console.log(
      `| ${label} | ${Math.round(median(rows, "perSecond")).toLocaleString("en-US")} | ${median(rows, "cpuPercent").toFixed(1)} | ` +
        `${median(rows, "cpuMicrosPerNotification").toFixed(1)} | ${median(rows, "sinkCallsPerSecond").toFixed(1)} | ${median(rows, "errors")} |`,
    );
  }
} finally {
  await server.stop();
}
