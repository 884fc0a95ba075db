// npm run bench:alerts [-- --max-rate 68000 --loads 0,10,50 --seconds 30 --probes 5 --meters 200 --linger 100]
// Latency of an alert end to end, every hop a real process: a reading published over MQTT →
// lifeline gateway → nats-server (JetStream) → lifeline processor (rule engine, alert service,
// webhook dispatcher) → a signed webhook received by the receiver example in this process. Smart
// meters (in a worker thread) load the pipeline at a share of its maximum ingest rate while probe
// devices cross a threshold rule and come back; the peer is the same probes on an idle pipeline
// (load 0 %). Each step: 3 s of load to settle, then --seconds of steady load with the probes.
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { startNatsServer } from "@lifeline/gateway";
import { LifelineProcess } from "../chaos/lifeline-process.ts";
import { freePort } from "../src/free-port.ts";
import { alertBenchReport } from "./alert-bench-report.ts";
import type { AlertRunResult } from "./alert-load.ts";
import { runAlertLoadInThread } from "./alert-load-thread.ts";
import { AlertReceiver } from "./alert-receiver.ts";
import { AlertStageTap } from "./alert-stage-tap.ts";
import { MachineCpuMeter } from "./machine-cpu-meter.ts";
import { checkProbes } from "./probe-check.ts";
import { CpuMeter } from "./process-usage.ts";

/**
 * The maximum ingest rate is taken, not measured: bench:ingest needs several 15 s steps and a
 * drain to find it, and it moves ±4 % between runs here; pass a fresh figure with --max-rate.
 */
const README_MAX_RATE = 68_000;
const README_SOURCE =
  "the median of the three meter runs in the root README's ingest benchmark (65,732 / 68,012 / 70,795 readings/s, 2026-11-30)";

const { values } = parseArgs({
  options: {
    "max-rate": { type: "string" },
    loads: { type: "string", default: "0,10,50" },
    seconds: { type: "string", default: "30" },
    probes: { type: "string", default: "5" },
    meters: { type: "string", default: "200" },
    // As bench:ingest runs the processor when it finds the maximum rate (the command's own default is 250).
    linger: { type: "string", default: "100" },
  },
});
const maxRate = Number(values["max-rate"] ?? README_MAX_RATE);
const seconds = Number(values.seconds);
const loads = values.loads.split(",").map(Number);
const SITE = "bench-alerts";
const RULE = "meter-overload";
const SECRET = "bench-secret-of-the-command-center";
const HOLD_MS = 1_000;
/** Load before a step's probes start: taken from idle to load at once, the pipeline settles first. */
const SETTLE_SECONDS = 3;
const WARM_UP = "w-";
/** The load's power counts 0…999 kW; a probe reports 6000 (level IV) and then 100 (cleared). */
const LOAD = { metric: "power", loadCeiling: 1_000, fireValue: 6_000, resolveValue: 100 };

const loadAverageAtStart = loadavg();
const dir = mkdtempSync(join(tmpdir(), "lifeline-bench-alerts-"));
const nats = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
const mqttPort = await freePort("127.0.0.1");
const apiPort = await freePort("127.0.0.1");
const apiUrl = `http://127.0.0.1:${apiPort}`;
const gateway = new LifelineProcess("gateway", ["gateway", "--nats", nats.url, "--mqtt-port", String(mqttPort)]);
const processor = new LifelineProcess("processor", [
  ...["processor", "--nats", nats.url, "--data", join(dir, "clickhouse"), "--api-port", String(apiPort)],
  ...["--batch", "5000", "--linger", values.linger, "--alerts", "all"],
]);
await gateway.start();
await processor.start();
const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
const receiver = new AlertReceiver("bench-center", SECRET);
await receiver.listen();
const tap = await AlertStageTap.open(nats.url, SITE);

interface StatusBody {
  streamProcessor: { telemetry: { rows: number } };
  alerts?: unknown;
  webhooks?: Record<string, { state: string }>;
}

async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as T };
}

async function until(what: string, done: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) {
      process.stderr.write(`alerts: timed out waiting for ${what}\n`);
      return false;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function storedRows(): Promise<number> {
  return (await api<StatusBody>("GET", "/v1/status")).json.streamProcessor.telemetry.rows;
}

async function subscribe(): Promise<void> {
  const rule = await api("PUT", `/v1/rules/${SITE}/${RULE}`, {
    device: "*",
    kind: "threshold",
    metric: LOAD.metric,
    direction: "above",
    levels: { IV: 5_000, II: 8_000 },
    hysteresis: 100,
  });
  const hook = await api("PUT", `/v1/webhooks/${receiver.subscriberId}`, {
    url: receiver.url,
    secret: SECRET,
    format: "lifeline",
  });
  if (rule.status !== 200 || hook.status !== 201) {
    throw new Error(`rule or webhook refused: ${JSON.stringify(rule.json)} ${JSON.stringify(hook.json)}`);
  }
  await until(
    "the rule in force",
    async () => (await api<{ rules: unknown[] }>("GET", `/v1/rules?site=${SITE}`)).json.rules.length === 1,
    20_000,
  );
  await until(
    "the webhook delivery running",
    async () =>
      (await api<StatusBody>("GET", "/v1/status")).json.webhooks?.[receiver.subscriberId]?.state === "running",
    20_000,
  );
}

interface Step {
  percent: number;
  prefix: string;
  offered: number;
  run: AlertRunResult;
  stored: number;
  cpu: Record<string, number>;
  /** This process's event-loop delay during the load, ms: every time taken here is late by up to this. */
  loopDelay: { p99: number; max: number };
}

const pids = { gateway: gateway.pid ?? 0, processor: processor.pid ?? 0, nats: nats.pid, bench: process.pid };

/** One step: load to settle, `seconds` of steady load with probes, then the wait for their events and the rows. */
async function measure(
  percent: number,
  prefix: string,
  runSeconds: number,
  probesPerSecond: number,
  settleSeconds = SETTLE_SECONDS,
): Promise<Step> {
  const offered = (maxRate * percent) / 100;
  const before = await storedRows();
  const loop = monitorEventLoopDelay({ resolution: 5 });
  let meters: { cpu: CpuMeter; machine: MachineCpuMeter } | undefined;
  const run = await runAlertLoadInThread(
    { mqttUrl, site: SITE, meters: Number(values.meters), prefix, ...LOAD },
    {
      dataPointsPerSecond: offered,
      settleSeconds,
      seconds: runSeconds,
      probesPerSecond,
      holdMs: HOLD_MS,
    },
    () => {
      meters = { cpu: new CpuMeter(pids), machine: new MachineCpuMeter() };
      loop.enable();
    },
  );
  if (meters === undefined) throw new Error("the load thread finished without starting");
  const usage = meters.cpu.read();
  // What the machine used beyond these processes: other people's work, which disturbs the figures.
  usage.others = Math.max(0, meters.machine.read() - Object.values(usage).reduce((a, b) => a + b, 0));
  loop.disable();
  const loopDelay = { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
  const mine = () => receiver.received.filter((r) => r.event.device.startsWith(prefix)).length;
  await until(`${run.probes.length * 2} alert events of ${prefix}`, () => mine() >= run.probes.length * 2, 60_000);
  await until(
    `${run.dataPoints} rows of ${prefix}`,
    async () => (await storedRows()) >= before + run.dataPoints,
    60_000,
  );
  const stored = (await storedRows()) - before;
  process.stderr.write(
    `alerts: ${prefix === WARM_UP ? "warm-up" : `${percent} %`} (${Math.round(offered)} dp/s): ${run.dataPoints} data points, ${mine()} alert events\n`,
  );
  return { percent, prefix, offered, run, stored, cpu: usage, loopDelay };
}

await subscribe();
await measure(0, WARM_UP, 3, 2, 0); // warm-up: JIT, connections, consumers; not reported
const steps: Step[] = [];
for (const [i, percent] of loads.entries())
  steps.push(await measure(percent, `s${i}-`, seconds, Number(values.probes)));
await new Promise((r) => setTimeout(r, 2_000)); // a late repeat of an event still counts as a duplicate

const status = (await api<StatusBody>("GET", "/v1/status")).json;
process.stderr.write(`alerts: ${JSON.stringify({ alerts: status.alerts, webhooks: status.webhooks })}\n`);
await tap.close();
await processor.stop();
await gateway.stop();
await nats.stop();
await receiver.close();
rmSync(dir, { recursive: true, force: true });

const argv = process.argv.slice(2).join(" ");
const reported = steps.map((s) => ({
  ...s,
  check: checkProbes(
    s.run.probes,
    receiver.received.filter((r) => r.event.device.startsWith(s.prefix)),
    receiver.requests,
    tap,
  ),
}));
// BENCH_TRACE=1: every probe event's hop times (wall clock, ms), to line up with a processor's own traces.
if (process.env.BENCH_TRACE) {
  for (const s of reported) {
    for (const t of s.check.timeline) process.stderr.write(`trace ${JSON.stringify({ load: s.percent, ...t })}\n`);
  }
}
process.stdout.write(
  alertBenchReport({
    command: `npm run bench:alerts${argv === "" ? "" : ` -- ${argv}`}`,
    settings: `--max-rate ${maxRate} (${values["max-rate"] === undefined ? `default: ${README_SOURCE}` : "given"}), --loads ${values.loads}, --seconds ${seconds} (after ${SETTLE_SECONDS} s of load to settle), --probes ${values.probes}/s (hold ${HOLD_MS} ms), --meters ${values.meters}, processor --batch 5000 --linger ${values.linger}; load average at start ${loadAverageAtStart.map((x) => x.toFixed(2)).join(" ")}`,
    steps: reported,
    refused: receiver.refused,
  }),
);
