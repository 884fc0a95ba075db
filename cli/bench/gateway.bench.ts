// npm run bench:gateway [-- --seconds 8 --rounds 3 --meters 200 --window 4]
// The MQTT front door alone: what one smart-meter message (QoS 1, 3 readings, JSON) costs the
// lifeline gateway — decoded, checked, packed, stored by JetStream, then acknowledged — against
// Debian's mosquitto, a broker in C that acknowledges the same messages and keeps them nowhere,
// measured in rounds that alternate the two. The meters are closed loop (each keeps `window`
// messages unacknowledged), so the rate is what the broker takes with what the generator leaves it
// of the 2 cores; CPU per message is the steadier figure on a noisy machine.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startNatsServer } from "@lifeline/gateway";
import { LifelineProcess } from "../chaos/lifeline-process.ts";
import { freePort } from "../src/free-port.ts";
import { median } from "./median.ts";
import { MeterFleet } from "./meter-fleet.ts";
import { cpuSeconds } from "./process-usage.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    meters: { type: "string", default: "200" },
    window: { type: "string", default: "4" },
  },
});

if (spawnSync("sh", ["-c", "command -v mosquitto"]).status !== 0) {
  process.stderr.write("bench:gateway: the peer is Debian's mosquitto broker: apt-get install mosquitto\n");
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "lifeline-bench-gateway-"));
const nats = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
const lifelinePort = await freePort("127.0.0.1");
const gateway = new LifelineProcess("gateway", ["gateway", "--nats", nats.url, "--mqtt-port", String(lifelinePort)]);
await gateway.start();
const mosquittoPort = await freePort("127.0.0.1");
const mosquitto: ChildProcess = spawn("mosquitto", ["-p", String(mosquittoPort)], { stdio: "ignore" });
await waitForPort(mosquittoPort);

interface Broker {
  name: string;
  port: number;
  /** The processes that do the broker's work: the gateway also has nats-server store each pack. */
  pids: number[];
}
const brokers: Broker[] = [
  {
    name: "lifeline gateway (aedes → JetStream, PUBACK after the PubAck)",
    port: lifelinePort,
    pids: [gateway.pid ?? 0, nats.pid],
  },
  { name: "mosquitto (acknowledges at once, stores nothing)", port: mosquittoPort, pids: [mosquitto.pid ?? 0] },
];

interface Measured {
  broker: string;
  round: number;
  messagesPerSecond: number;
  /** CPU µs per acknowledged message: each of the broker's processes, and the generator. */
  cpu: number[];
  generator: number;
}

const rows: Measured[] = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  // Alternate which goes first: a round's second run meets a machine warmed (or loaded) by the first.
  for (const broker of round % 2 === 1 ? brokers : [...brokers].reverse()) {
    const fleet = new MeterFleet({
      mqttUrl: `mqtt://127.0.0.1:${broker.port}`,
      site: `gw-bench-${round}`,
      meters: Number(values.meters),
      readingsPerMessage: 3,
    });
    await fleet.connect();
    const before = broker.pids.map(cpuSeconds);
    const generatorBefore = cpuSeconds(process.pid);
    const result = await fleet.runClosed(Number(values.window), Number(values.seconds));
    const used = broker.pids.map((pid, i) => cpuSeconds(pid) - (before[i] as number));
    const generator = cpuSeconds(process.pid) - generatorBefore;
    await fleet.close();
    if (result.acked !== result.sent)
      throw new Error(`${broker.name}: ${result.sent - result.acked} messages not acknowledged`);
    rows.push({
      broker: broker.name,
      round,
      messagesPerSecond: result.acked / result.seconds,
      cpu: used.map((s) => (s * 1e6) / result.acked),
      generator: (generator * 1e6) / result.acked,
    });
    process.stderr.write(
      `bench:gateway: round ${round}, ${broker.name}: ${Math.round(result.acked / result.seconds)} messages/s\n`,
    );
  }
}

await gateway.stop();
mosquitto.kill("SIGTERM");
await nats.stop();
rmSync(dir, { recursive: true, force: true });

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines = [
  "| broker | round | messages/s acknowledged | readings/s | broker CPU µs per message | generator CPU µs per message |",
  "| --- | --- | --- | --- | --- | --- |",
];
for (const r of rows) {
  const cpu =
    r.cpu.length > 1
      ? `${fmt(sum(r.cpu), 1)} (gateway ${fmt(r.cpu[0] ?? 0, 1)}, nats-server ${fmt(r.cpu[1] ?? 0, 1)})`
      : fmt(sum(r.cpu), 1);
  lines.push(
    `| ${r.broker} | ${r.round} | ${fmt(r.messagesPerSecond)} | ${fmt(3 * r.messagesPerSecond)} | ${cpu} | ${fmt(r.generator, 1)} |`,
  );
}
process.stdout.write(`\n${lines.join("\n")}\n\n`);
const [ours, peer] = brokers.map((b) => rows.filter((r) => r.broker === b.name));
const medianCpu = (rs: Measured[] | undefined) => median((rs ?? []).map((r) => sum(r.cpu)));
const medianRate = (rs: Measured[] | undefined) => median((rs ?? []).map((r) => r.messagesPerSecond));
process.stdout.write(
  `medians: lifeline ${fmt(medianRate(ours))} messages/s at ${fmt(medianCpu(ours), 1)} µs each (gateway ${fmt(median((ours ?? []).map((r) => r.cpu[0] ?? 0)), 1)}); ` +
    `mosquitto ${fmt(medianRate(peer))} messages/s at ${fmt(medianCpu(peer), 1)} µs each; CPU per message ${fmt(medianCpu(ours) / medianCpu(peer), 1)}× mosquitto's\n`,
);

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

async function waitForPort(port: number): Promise<void> {
  for (const until = Date.now() + 10_000; Date.now() < until; ) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port} within 10 s`);
}
