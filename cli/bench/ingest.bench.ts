// npm run bench:ingest [-- --rates 15000,30000,60000 --seconds 15 --warmup 5 --rounds 3 --agent-shares 0.7,0.8,0.9
//                         --jetstream-sync always]
// End to end, every hop a real process: MQTT meters → lifeline gateway → nats-server (JetStream)
// → lifeline processor → embedded ClickHouse. Finds the highest rate stored exactly once, then
// measures agent-sized envelopes (100 readings) against the store's own insert rate, in rounds
// that alternate the two (this machine's store alone varied 123k–187k rows/s from run to run: a
// ratio is only meaningful between measurements made side by side), and reports each round's
// ratio and their median: the agents flooding the gateway (closed loop), and the highest rate they
// sustain (paced, at shares of the round's store alone).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { startNatsServer } from "@lifeline/gateway";
import { LifelineProcess, SERVICE_NODE_FLAGS } from "../chaos/lifeline-process.ts";
import { freePort } from "../src/free-port.ts";
import { parseJetStreamSync } from "../src/jetstream-sync-option.ts";
import { median } from "./median.ts";
import { mergesDone } from "./merges-done.ts";
import { type FleetOptions, MeterFleet } from "./meter-fleet.ts";
import { CpuMeter, memoryMiB } from "./process-usage.ts";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    rates: { type: "string", default: "15000,30000,60000,100000,150000" },
    seconds: { type: "string", default: "15" },
    meters: { type: "string", default: "200" },
    /** Seconds of meters at half the first rate before the first step, not counted as a step. */
    warmup: { type: "string", default: "5" },
    /** Rounds of the store alone followed by the agents; the ratio reported is the median of theirs. */
    rounds: { type: "string", default: "3" },
    /**
     * The agents' paced rates in each round, as shares of that round's store alone, tried in order
     * until one is not sustained (none: the paced steps are skipped).
     */
    "agent-shares": { type: "string", default: "0.7,0.8,0.85,0.9,0.95" },
    /** As `lifeline up --jetstream-sync`: always (its default), a number of ms, or server. */
    "jetstream-sync": { type: "string", default: "always" },
  },
});
const jetstreamSync = parseJetStreamSync(values["jetstream-sync"]);
const seconds = Number(values.seconds);
const dir = mkdtempSync(join(tmpdir(), "lifeline-bench-ingest-"));
const run = promisify(execFile);
const env = { ...process.env, ORT_DISABLE_TELEMETRY: "1" };

const nats = await startNatsServer({
  storeDir: join(dir, "nats"),
  port: 0,
  ...(jetstreamSync !== "server" && { sync: jetstreamSync }),
});
const mqttPort = await freePort("127.0.0.1");
const apiPort = await freePort("127.0.0.1");
const gateway = new LifelineProcess("gateway", ["gateway", "--nats", nats.url, "--mqtt-port", String(mqttPort)]);
const processor = new LifelineProcess("processor", [
  ...["processor", "--nats", nats.url, "--data", join(dir, "clickhouse")],
  ...["--api-port", String(apiPort), "--batch", "5000", "--linger", "100"],
]);
await gateway.start();
await processor.start();
const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;

async function storedRows(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/v1/status`);
  const body = (await res.json()) as { streamProcessor: { telemetry: { rows: number } } };
  return body.streamProcessor.telemetry.rows;
}

interface Step {
  case: string;
  offered: string;
  readings: number;
  acked: boolean;
  /** Readings per second from the first publish until the last row was stored. */
  endToEnd: number;
  /** Readings per second from the first publish until the last PUBACK (what the gateway took). */
  acceptedRate: number;
  lagSeconds: number;
  /**
   * Rows stored per second after the load ended, while the processor caught up alone: what it
   * stores with the cores to itself (as after an outage), next to the store alone.
   */
  catchUp: number | undefined;
  cpu: Record<string, number>;
  memory: Record<string, number>;
  site: string;
}

async function measure(
  label: string,
  offered: string,
  site: string,
  fleet: MeterFleet,
  load: () => ReturnType<MeterFleet["runPaced"]>,
): Promise<Step> {
  const before = await storedRows();
  const pids = { gateway: gateway.pid ?? 0, processor: processor.pid ?? 0, nats: nats.pid, generator: process.pid };
  const cpu = new CpuMeter(pids);
  const t0 = performance.now();
  const result = await load();
  const loadEnd = performance.now();
  const storedAtLoadEnd = await storedRows();
  const deadline = Date.now() + 120_000;
  let lastLog = 0;
  while ((await storedRows()) < before + result.readings && Date.now() < deadline) {
    if (process.env.BENCH_TRACE && Date.now() - lastLog > 2000) {
      lastLog = Date.now();
      const st = (await (await fetch(`http://127.0.0.1:${apiPort}/v1/status`)).json()) as {
        streamProcessor: { telemetry: unknown };
      };
      process.stderr.write(
        `trace ${((performance.now() - t0) / 1000).toFixed(1)} ${JSON.stringify(st.streamProcessor.telemetry)}\n`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const allStored = performance.now();
  const usage = cpu.read();
  await fleet.close();
  return {
    case: label,
    offered,
    readings: result.readings,
    acked: result.acked === result.sent,
    endToEnd: result.readings / ((allStored - t0) / 1000),
    acceptedRate: result.readings / result.seconds,
    lagSeconds: (allStored - loadEnd) / 1000,
    catchUp:
      allStored - loadEnd < 2_000
        ? undefined
        : (before + result.readings - storedAtLoadEnd) / ((allStored - loadEnd) / 1000),
    cpu: usage,
    memory: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, memoryMiB(pid).peak])),
    site,
  };
}

/**
 * ThingsBoard's scenario runs with alarm rules on: every site gets a threshold rule on each meter's
 * power (the meters' power cycles 0…999, so it fires and clears every 1000 messages of a meter) and
 * an offline rule, evaluated by the processor's rule engine on every reading.
 */
async function putAlarmRules(site: string): Promise<void> {
  const rules = [
    { id: "power-high", kind: "threshold", metric: "power", direction: "above", levels: { IV: 990 } },
    { id: "offline", kind: "stale", levels: { IV: 60_000 } },
  ];
  for (const rule of rules) {
    const res = await fetch(`http://127.0.0.1:${apiPort}/v1/rules/${site}/${rule.id}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ device: "*", ...rule }),
    });
    if (res.status !== 200) throw new Error(`rule ${rule.id} refused: ${await res.text()}`);
  }
}

/**
 * Kept up: the gateway acknowledged the offered rate, and ClickHouse was at most 2 s behind when
 * the load stopped (exactly once is checked at the end, by counting rows and identities).
 */
function keptUp(step: Step, rate: number): boolean {
  return step.acked && step.acceptedRate >= 0.95 * rate && step.lagSeconds <= 2;
}

const steps: Step[] = [];
let best: Step | undefined;
const rates = values.rates.split(",").map(Number);

/** A fleet of its own site, with the alarm rules on, connected and run by `load`, measured. */
async function fleetStep(
  label: string,
  offered: string,
  options: Omit<FleetOptions, "mqttUrl">,
  load: (fleet: MeterFleet) => ReturnType<MeterFleet["runPaced"]>,
): Promise<Step> {
  const fleet = new MeterFleet({ mqttUrl, ...options });
  await putAlarmRules(options.site);
  await fleet.connect();
  return measure(label, offered, options.site, fleet, () => load(fleet));
}

/** Smart meters of `site` at `rate` readings/s for `forSeconds`. */
function meterStep(label: string, site: string, rate: number, forSeconds: number): Promise<Step> {
  const meters = { site, meters: Number(values.meters), readingsPerMessage: 3 };
  return fleetStep(label, `${rate}/s`, meters, (fleet) => fleet.runPaced(rate / 3, forSeconds));
}

/** Edge agents as the Lifeline agent sends: binary envelopes of 100 readings. */
const AGENTS = { meters: 4, readingsPerMessage: 100, binary: true };

if (Number(values.warmup) > 0) {
  // Fresh processes (JIT, heaps, 200 new connections) made a first step of 70k fail that passed
  // when it came after lower ones: the warm-up is measured and checked like a step, never "best".
  const rate = Math.round((rates[0] as number) / 2);
  steps.push(await meterStep("meters, warm-up (not a step)", "tb-warmup", rate, Number(values.warmup)));
}
for (const rate of rates) {
  const step = await meterStep("meters, 3 per message", `tb-${rate}`, rate, seconds);
  steps.push(step);
  const sustained = keptUp(step, rate);
  process.stderr.write(
    `ingest: ${rate}/s offered → ${Math.round(step.acceptedRate)}/s acknowledged, ${Math.round(step.endToEnd)}/s stored end to end, lag ${step.lagSeconds.toFixed(1)} s\n`,
  );
  if (!sustained) break;
  best = step;
}

/** The store's own insert rate on this machine, in a process of its own: the physical limit of the pipeline. */
async function storeAlone(round: number): Promise<{ rows: number; seconds: number; cpu: number }> {
  const { stdout } = await run(
    process.execPath,
    [
      ...SERVICE_NODE_FLAGS,
      "--import",
      "tsx",
      join(here, "raw-insert.ts"),
      join(dir, `raw-${round}`),
      "3000000",
      // The fastest here of 50k/100k-row batches, one or two at a time (100k, two: 300–335k
      // rows/s; 50k, one: 270k).
      "100000",
      "2",
    ],
    { env },
  );
  rmSync(join(dir, `raw-${round}`), { recursive: true, force: true });
  return JSON.parse(stdout) as { rows: number; seconds: number; cpu: number };
}

/** Background merges running in the processor's store, asked through its read-only SQL endpoint. */
async function mergesRunning(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/v1/sql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sql: "SELECT count() AS n FROM system.merges" }),
  });
  if (!res.ok) throw new Error(`system.merges: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { rows: [string][] };
  return Number(body.rows[0]?.[0]);
}

/**
 * Waits 10 s, then until the processor's store has had no merge running for three looks 2 s apart
 * (at most 3 min), and returns the seconds waited: the store alone runs in a fresh folder with
 * nothing to merge but its own inserts, so the agents do not start beside merges of what came
 * before them either. (After the meters' 6.5 M readings: 14 s in all, so the 10 s wait used before
 * was nearly enough.)
 */
async function quiet(): Promise<number> {
  return (await mergesDone(mergesRunning, { firstMs: 10_000, everyMs: 2_000, capMs: 180_000 })) / 1000;
}

const shares = values["agent-shares"] === "" ? [] : values["agent-shares"].split(",").map(Number);
const rounds: {
  store: { rows: number; seconds: number; cpu: number };
  agents: Step;
  /** The highest paced rate the agents sustained, and the share of the store alone it was offered at. */
  sustained: { step: Step; share: number } | undefined;
}[] = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  // Background merges of what the stack just stored must not run beside the store alone (nor the
  // other way round: the store-alone process and its merges are gone before the agents start).
  const waited = await quiet();
  process.stderr.write(`ingest: round ${round}: the store's merges done after ${waited.toFixed(0)} s\n`);
  const store = await storeAlone(round);
  const step = await fleetStep(
    `agents, 100 per envelope (round ${round})`,
    "closed loop, 32 in flight each",
    { site: `agents-100-r${round}`, ...AGENTS },
    (agents) => agents.runClosed(32, seconds),
  );
  steps.push(step);
  process.stderr.write(
    `ingest: round ${round}: store alone ${Math.round(store.rows / store.seconds)}/s, agents ${Math.round(step.endToEnd)}/s\n`,
  );
  // The closed loop floods the gateway with what then waits in JetStream (twice what the store
  // takes, here), and the front hops' work on it is taken from the processor's cores: what the
  // pipeline keeps up with is the rate it sustains, found as the meters' is.
  let sustained: { step: Step; share: number } | undefined;
  for (const share of shares) {
    await quiet();
    const rate = Math.round((share * store.rows) / store.seconds);
    const pacedStep = await fleetStep(
      `agents, 100 per envelope, paced (round ${round}, ${Math.round(share * 100)} % of the store alone)`,
      `${rate}/s`,
      { site: `agents-paced-r${round}-${Math.round(share * 100)}`, ...AGENTS },
      (agents) => agents.runPaced(rate / 100, seconds),
    );
    steps.push(pacedStep);
    const kept = keptUp(pacedStep, rate);
    process.stderr.write(
      `ingest: round ${round}: agents paced at ${rate}/s → ${Math.round(pacedStep.acceptedRate)}/s acknowledged, lag ${pacedStep.lagSeconds.toFixed(1)} s${kept ? "" : " (not sustained)"}\n`,
    );
    if (!kept) break;
    sustained = { step: pacedStep, share };
  }
  rounds.push({ store, agents: step, sustained });
}

if (process.env.BENCH_TRACE) process.stderr.write(`gateway log:\n${gateway.log}\nprocessor log:\n${processor.log}\n`);
const status = await (await fetch(`http://127.0.0.1:${apiPort}/v1/status`)).json();
process.stderr.write(
  `ingest: stream processor ${JSON.stringify((status as { streamProcessor: unknown }).streamProcessor)}\n`,
);
const alerts = (status as { alerts?: { transitions: number } }).alerts;
const ruleStats = (status as { streamProcessor: { alertRules?: { readings: number; conditions: number } } })
  .streamProcessor.alertRules;
await processor.stop();
await gateway.stop();
await nats.stop();
const counted = new Map<string, { rows: number; distinct: number }>();
const { stdout } = await run(
  process.execPath,
  ["--import", "tsx", join(here, "count-site.ts"), join(dir, "clickhouse")],
  { env },
);
for (const line of stdout.trim().split("\n")) {
  const c = JSON.parse(line) as { site: string; rows: number; distinct: number };
  counted.set(c.site, c);
}
rmSync(dir, { recursive: true, force: true });

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const pct = (c: Record<string, number>) =>
  Object.entries(c)
    .map(([k, v]) => `${k} ${v.toFixed(0)}%`)
    .join(", ");
const lines = [
  "| case | offered | readings | stored once | end-to-end readings/s | lag after load | CPU (% of one core) | peak RSS (MiB) |",
  "| --- | --- | --- | --- | --- | --- | --- | --- |",
];
for (const s of steps) {
  const c = counted.get(s.site);
  const exact = c !== undefined && c.rows === s.readings && c.distinct === c.rows && s.acked;
  lines.push(
    `| ${s.case} | ${s.offered} | ${fmt(s.readings)} | ${exact ? "yes" : `NO (${c?.rows ?? 0} rows, ${c?.distinct ?? 0} distinct)`} | ${fmt(s.endToEnd)} | ${s.lagSeconds.toFixed(1)} s${s.catchUp === undefined ? "" : `, caught up at ${fmt(s.catchUp)}/s`} | ${pct(s.cpu)} | ${pct(s.memory).replaceAll("%", "")} |`,
  );
}
const ratios: number[] = [];
const sustainedRatios: number[] = [];
for (const [i, r] of rounds.entries()) {
  const rate = r.store.rows / r.store.seconds;
  ratios.push(r.agents.endToEnd / rate);
  // A paced rate kept up with is the rate sustained (the meters' figure is their end-to-end rate,
  // which also counts the last batches' drain against the step).
  sustainedRatios.push(r.sustained === undefined ? 0 : r.sustained.step.acceptedRate / rate);
  lines.push(
    `| store alone, round ${i + 1} (3 M readings in 100k-row batches built beforehand, 2 inserts at a time) | as fast as it goes | ${fmt(r.store.rows)} | – | ${fmt(rate)} | – | ${r.store.cpu.toFixed(0)}% | – |`,
  );
}
process.stdout.write(`\n${lines.join("\n")}\n\n`);
process.stdout.write(
  `JetStream sync: ${jetstreamSync === "always" ? "always (every message on disk before it is acknowledged)" : jetstreamSync === "server" ? "nats-server's default (every 2 minutes)" : `every ${jetstreamSync} ms`}\n`,
);
process.stdout.write(
  `highest sustained meter rate stored exactly once: ${best ? `${fmt(best.endToEnd)} readings/s` : "none of the offered rates"} (ThingsBoard's published figure: 15,000/s on 2 vCPU)\n`,
);
process.stdout.write(
  `alarm rules on (power threshold and offline, per meter): ${fmt(ruleStats?.readings ?? 0)} readings evaluated, ${fmt(ruleStats?.conditions ?? 0)} conditions, ${fmt(alerts?.transitions ?? 0)} alert transitions stored\n`,
);
if (rounds.length > 0) {
  process.stdout.write(
    `agent envelopes end to end, closed loop, ÷ the store's own insert rate, round by round: ${ratios.map((r) => `${(100 * r).toFixed(0)}%`).join(", ")}; median ${(100 * median(ratios)).toFixed(0)}%\n`,
  );
}
if (rounds.length > 0 && shares.length > 0) {
  const each = rounds.map((r, i) =>
    r.sustained === undefined
      ? `none of ${shares.map((s) => `${Math.round(s * 100)}%`).join(", ")}`
      : `${(100 * (sustainedRatios[i] as number)).toFixed(0)}% (offered ${Math.round(r.sustained.share * 100)}%)`,
  );
  process.stdout.write(
    `agent envelopes, highest paced rate sustained (acknowledged, ≤ 2 s behind) and stored once ÷ the store's own insert rate, round by round: ${each.join(", ")}; median ${(100 * median(sustainedRatios)).toFixed(0)}%\n`,
  );
}
