/**
 * What merging the raw table costs while a stream processor inserts into it: meter readings at a
 * steady rate, an insert every few hundred milliseconds (as the stream processor's sink hands
 * batches over), into a fresh store with the raw table's `merge_selector_base` at ClickHouse's
 * default (5) and at Lifeline's (20, migration 5) — each run in a child process of its own, the
 * two alternating, so that the CPU of one store's merges is never counted in the other's.
 *
 *   node --import tsx store/bench/merge-cost.ts [--seconds 120] [--rate 100000] [--every 300] [--pairs 2]
 *
 * Prints a table: per run, the CPU of ClickHouse's merge threads (`MergeMutate`) and of everything
 * else in the process (the inserts, their views, building the batches), in % of one core, read from
 * /proc per thread; the raw table's active parts and the highest merge level of its parts at the end.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { TelemetryNative } from "../src/telemetry-native.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";
import { median } from "./median.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: "string", default: "120" },
    rate: { type: "string", default: "100000" },
    every: { type: "string", default: "300" },
    pairs: { type: "string", default: "2" },
  },
});

interface RunResult {
  base: number;
  readings: number;
  seconds: number;
  /** % of one core. */
  merges: number;
  rest: number;
  parts: number;
  maxLevel: number;
}

/** CPU ticks (1/100 s) of this process's threads since they started, summed by thread name. */
function threadTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const task of readdirSync("/proc/self/task")) {
    try {
      const name = readFileSync(`/proc/self/task/${task}/comm`, "utf8").trim();
      const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      // proc(5): utime and stime are fields 14 and 15, counted after the parenthesised name.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks.set(name, (ticks.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended between listing and reading: its ticks are gone with it either way.
    }
  }
  return ticks;
}

const METRICS = [
  ["energy", "kWh"],
  ["power", "kW"],
  ["voltage", "V"],
] as const;

/** One run, in this process: a fresh store, the base set, readings inserted at `rate` for `seconds`. */
async function run(base: number, seconds: number, rate: number, everyMs: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-merge-cost-"));
  const driver = new ChdbDriver(join(dir, "db"));
  const store = await TelemetryStore.open(driver);
  await driver.exec(`ALTER TABLE telemetry MODIFY SETTING merge_selector_base = ${base}`);
  const perInsert = Math.round((rate * everyMs) / 1000 / METRICS.length);
  let seq = 0;
  let readings = 0;
  const before = threadTicks();
  const start = performance.now();
  for (let insert = 0; performance.now() - start < seconds * 1000; insert++) {
    const tick = performance.now();
    const batch = new TelemetryNative(perInsert * METRICS.length);
    const now = Date.now();
    // 200 meters, 3 readings a message, source times spread over the interval just past.
    for (let i = 0; i < perInsert; i++, seq++) {
      const meter = `m${String(seq % 200).padStart(5, "0")}`;
      const envelope: Envelope = {
        v: 1,
        site: "merge-bench",
        gateway: meter,
        device: meter,
        bootId: "boot-merge",
        seq: Math.floor(seq / 200),
        readings: METRICS.map(([metric, unit], r) => ({
          metric,
          ts: now - everyMs + Math.floor((i * everyMs) / perInsert) + r,
          value: (seq % 1_000) + r / 2,
          unit,
          quality: "good" as const,
        })),
      };
      batch.addEnvelope(envelope, seq + 1);
    }
    readings += await store.insertTelemetryBatch(batch, `merge-bench:${insert}`);
    const wait = everyMs - (performance.now() - tick);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const elapsed = (performance.now() - start) / 1000;
  const after = threadTicks();
  let merges = 0;
  let rest = 0;
  for (const [name, ticks] of after) {
    const used = ticks - (before.get(name) ?? 0);
    if (name === "MergeMutate") merges += used;
    else rest += used;
  }
  const [parts] = await driver.query<{ parts: number; level: number }>(
    "SELECT toUInt32(count()) AS parts, toUInt32(max(level)) AS level FROM system.parts WHERE active AND database = currentDatabase() AND table = 'telemetry'",
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    base,
    readings,
    seconds: elapsed,
    merges: merges / elapsed,
    rest: rest / elapsed,
    parts: parts?.parts ?? 0,
    maxLevel: parts?.level ?? 0,
  };
}

const [mode, baseArg] = positionals;
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const every = Number(values.every);
if (mode === "child") {
  process.stdout.write(`${JSON.stringify(await run(Number(baseArg), seconds, rate, every))}\n`);
} else {
  const self = fileURLToPath(import.meta.url);
  const results: RunResult[] = [];
  for (let pair = 0; pair < Number(values.pairs); pair++) {
    for (const base of [5, 20]) {
      const args = ["--import", "tsx", self, "child", String(base)];
      args.push("--seconds", String(seconds), "--rate", String(rate), "--every", String(every));
      const { stdout } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
      const result = JSON.parse(stdout.trim().split("\n").at(-1) as string) as RunResult;
      process.stderr.write(`merge-cost: base ${base}: merges ${result.merges.toFixed(1)} % of a core\n`);
      results.push(result);
    }
  }
  console.log(
    `\n${rate.toLocaleString("en")} readings/s, an insert every ${every} ms, ${seconds} s a run (chdb, a fresh store each)\n`,
  );
  console.log(
    "| merge_selector_base | readings stored | merges (% of a core) | everything else | raw parts at the end | highest level |",
  );
  console.log("| --- | --- | --- | --- | --- | --- |");
  for (const r of results)
    console.log(
      `| ${r.base}${r.base === 5 ? " (ClickHouse's default)" : " (Lifeline)"} | ${r.readings.toLocaleString("en")} | ${r.merges.toFixed(1)} | ${r.rest.toFixed(1)} | ${r.parts} | ${r.maxLevel} |`,
    );
  const of = (base: number, key: "merges" | "rest") =>
    median(results.filter((r) => r.base === base).map((r) => r[key]));
  console.log(
    `\nmedian merges: ${of(5, "merges").toFixed(1)} % of a core at base 5, ${of(20, "merges").toFixed(1)} % at base 20 (${(of(20, "merges") / of(5, "merges")).toFixed(2)}×); everything else ${of(5, "rest").toFixed(1)} and ${of(20, "rest").toFixed(1)} %`,
  );
}
