// Modbus polling throughput: float32 points per second that the edge agent's Modbus adapter reads
// from several pymodbus servers, with its CPU and memory, beside pymodbus's own client reading
// the same servers in the same run.   npx tsx edge-agent/bench/modbus.bench.ts [--servers 3] [--seconds 5] [--runs 3]
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { modbusDeviceSchema } from "../src/adapters/modbus/config.ts";
import { ModbusAdapter } from "../src/adapters/modbus/modbus-adapter.ts";
import { startPymodbus } from "../test/fixtures/pymodbus.ts";

const { values } = parseArgs({
  options: {
    servers: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    runs: { type: "string", default: "3" },
  },
});
const servers = Number(values.servers);
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const POINTS_PER_DEVICE = 62; // 124 registers: one full-size read per poll

const registers: Record<number, number> = {};
for (let i = 0; i < 124; i += 2) {
  registers[i] = 0x42f6; // float32 123.456, ABCD
  registers[i + 1] = 0xe979;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function lifelineRun(ports: number[]): Promise<{ pointsPerSec: number; cpu: number; rssMb: number }> {
  const adapters = ports.map(
    (port, i) =>
      new ModbusAdapter(
        modbusDeviceSchema.parse({
          id: `bench-${i}`,
          type: "modbus",
          connection: { host: "127.0.0.1", port },
          points: Array.from({ length: POINTS_PER_DEVICE }, (_, j) => ({
            name: `p${j}`,
            metric: `p${j}`,
            address: j * 2,
            datatype: "float32",
          })),
        }),
      ),
  );
  let points = 0;
  const sink = { readings: (_d: string, r: unknown[]) => (points += r.length), error: () => undefined };
  await Promise.all(adapters.map((a) => a.gather(sink))); // connect outside the measurement
  points = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1_000;
  await Promise.all(
    adapters.map(async (a) => {
      while (performance.now() < deadline) await a.gather(sink);
    }),
  );
  const elapsed = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(adapters.map((a) => a.close()));
  return {
    pointsPerSec: points / elapsed,
    cpu: (cpu.user + cpu.system) / 1e6 / elapsed,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
}

function peerRun(ports: number[]): Promise<{ pointsPerSec: number; cpu: number; rssMb: number }> {
  const child = spawn("/usr/bin/python3", [
    join(import.meta.dirname, "pymodbus-client-peer.py"),
    String(seconds),
    ...ports.map(String),
  ]);
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`pymodbus client exited ${code}`));
      const r = JSON.parse(out) as { requests: number; cpu_s: number; rss_kb: number };
      resolve({
        pointsPerSec: (r.requests * POINTS_PER_DEVICE) / seconds,
        cpu: r.cpu_s / seconds,
        rssMb: r.rss_kb / 1024,
      });
    }),
  );
}

/** 162 devices (54 unit ids on each of 3 servers) polled every 100 ms: 100,440 points/s asked for. */
async function pacedRun(ports: number[], units: number): Promise<{ pointsPerSec: number; cpu: number; rssMb: number }> {
  const { ModbusLines } = await import("../src/adapters/modbus/modbus-line.ts");
  const lines = new ModbusLines();
  const adapters = ports.flatMap((port) =>
    Array.from(
      { length: units },
      (_, u) =>
        new ModbusAdapter(
          modbusDeviceSchema.parse({
            id: `paced-${port}-${u + 1}`,
            type: "modbus",
            connection: { host: "127.0.0.1", port, unitId: u + 1 },
            pollIntervalMs: 100,
            points: Array.from({ length: POINTS_PER_DEVICE }, (_, j) => ({
              name: `p${j}`,
              metric: `p${j}`,
              address: j * 2,
              datatype: "float32",
            })),
          }),
          { lines },
        ),
    ),
  );
  let points = 0;
  const sink = { readings: (_d: string, r: unknown[]) => (points += r.length), error: () => undefined };
  await Promise.all(adapters.map((a) => a.gather(sink)));
  points = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1_000;
  await Promise.all(
    adapters.map(async (a) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await a.gather(sink);
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - started))));
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1_000;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(adapters.map((a) => a.close()));
  return {
    pointsPerSec: points / elapsed,
    cpu: (cpu.user + cpu.system) / 1e6 / elapsed,
    rssMb: process.memoryUsage().rss / 2 ** 20,
  };
}

const UNITS = 54;
const unitList = Array.from({ length: UNITS }, (_, i) => i + 1).join(",");
const peers = await Promise.all(
  Array.from({ length: servers }, () => startPymodbus({ registers: { hr: registers }, units: unitList })),
);
const ports = peers.map((p) => p.port);
const ours: Awaited<ReturnType<typeof lifelineRun>>[] = [];
const theirs: Awaited<ReturnType<typeof peerRun>>[] = [];
const paced: Awaited<ReturnType<typeof pacedRun>>[] = [];
for (let i = 0; i < runs; i++) {
  ours.push(await lifelineRun(ports));
  theirs.push(await peerRun(ports));
  paced.push(await pacedRun(ports, UNITS));
}
await Promise.all(peers.map((p) => p.kill()));

const row = (name: string, rs: typeof ours) =>
  `| ${name.padEnd(34)} | ${String(Math.round(median(rs.map((r) => r.pointsPerSec)))).padStart(9)} | ${median(
    rs.map((r) => r.cpu),
  )
    .toFixed(2)
    .padStart(10)} | ${median(rs.map((r) => r.rssMb))
    .toFixed(0)
    .padStart(7)} |`;
const lifeline = median(ours.map((r) => r.pointsPerSec));
const peer = median(theirs.map((r) => r.pointsPerSec));
console.log(
  `\nModbus TCP polling, ${servers} pymodbus servers, ${POINTS_PER_DEVICE} float32 points per device, ${seconds} s, median of ${runs}`,
);
console.log("| client                             |  points/s | CPU (core) | RSS MB |");
console.log("| ---------------------------------- | --------: | ---------: | -----: |");
console.log(row("lifeline ModbusAdapter (Node)", ours));
console.log(row("pymodbus AsyncModbusTcpClient (peer)", theirs));
console.log(`ratio lifeline / pymodbus client: ${(lifeline / peer).toFixed(2)}`);
console.log(
  `\nPaced: ${servers * UNITS} devices x ${POINTS_PER_DEVICE} float32 points every 100 ms (${servers * UNITS * POINTS_PER_DEVICE * 10} points/s asked)`,
);
console.log("| client                             |  points/s | CPU (core) | RSS MB |");
console.log("| ---------------------------------- | --------: | ---------: | -----: |");
console.log(row("lifeline ModbusAdapter (Node)", paced));
