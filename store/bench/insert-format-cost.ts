/**
 * What a telemetry insert costs in each format the store can send: the same meter readings built
 * by `TelemetryRowBinary` (RowBinaryWithNamesAndTypes, what versions before 2026-12-02 sent) and by
 * `TelemetryNative` (one Native block, what the stream processor sends now), inserted alternately
 * into two tables shaped like `telemetry` (no views) and into `telemetry` itself (its rollup views
 * and series index), in a fresh store.
 *
 *   node --import tsx store/bench/insert-format-cost.ts [rows per insert, default 100000] [rounds, default 12]
 *
 * Prints a table: per format, the JS time to build a batch and the process CPU per row of its
 * inserts (ClickHouse's threads included; merges stopped), medians over the rounds after two
 * warm-ups.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { TelemetryNative } from "../src/telemetry-native.ts";
import { TelemetryRowBinary } from "../src/telemetry-row-binary.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";
import { median } from "./median.ts";

const rows = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 12);
const dir = mkdtempSync(join(tmpdir(), "lifeline-insert-format-"));
const store = await TelemetryStore.open(new ChdbDriver(join(dir, "db")));
const driver = store.driver;
for (const table of ["raw_rowbinary", "raw_native"]) await driver.exec(`CREATE TABLE ${table} AS telemetry`);
// Merges would run in the background of the next insert and count as its CPU: stopped, so that
// each figure is the insert's own (the merges' share is the same rows in either format).
await driver.exec("SYSTEM STOP MERGES");

const METRICS = [
  ["power", "kW"],
  ["voltage", "V"],
  ["current", "A"],
] as const;
const t0 = Date.now() - 3_600_000;

/** 200 meters, 3 readings a message; each round its own seqs and times (nothing is a duplicate). */
function envelopes(round: number): Envelope[] {
  return Array.from({ length: Math.ceil(rows / METRICS.length) }, (_, i) => {
    const meter = `meter-${String(i % 200).padStart(4, "0")}`;
    const seq = round * 1_000_000 + Math.floor(i / 200);
    return {
      v: 1,
      site: "format-bench",
      gateway: meter,
      device: meter,
      bootId: "boot-format",
      seq,
      readings: METRICS.map(([metric, unit], r) => ({
        metric,
        ts: t0 + round * 60_000 + Math.floor(i / 200) * 100 + r,
        value: (seq % 1_000) + r / 4,
        unit,
        quality: "good" as const,
      })),
    };
  });
}

type Format = "RowBinary" | "Native";
const FORMATS: readonly Format[] = ["RowBinary", "Native"];
const build: Record<Format, number[]> = { RowBinary: [], Native: [] };
const raw: Record<Format, number[]> = { RowBinary: [], Native: [] };
const withViews: Record<Format, number[]> = { RowBinary: [], Native: [] };

async function cpuPerRow(insert: () => Promise<void>, n: number): Promise<number> {
  const before = process.cpuUsage();
  await insert();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

for (let round = 1; round <= rounds + 2; round++) {
  const batch = envelopes(round);
  for (const format of round % 2 === 0 ? FORMATS : [...FORMATS].reverse()) {
    const started = performance.now();
    const built = format === "Native" ? new TelemetryNative(rows) : new TelemetryRowBinary(rows);
    for (const [i, e] of batch.entries()) built.addEnvelope(e, round * 1_000_000 + i);
    const bytes = Buffer.from(built.toBuffer());
    const buildUs = ((performance.now() - started) * 1000) / built.rows;
    const plain = { insert_deduplicate: 0 };
    const into = (table: string) =>
      format === "Native" ? driver.insertNative(table, bytes, plain) : driver.insertRowBinary(table, bytes, plain);
    const rawUs = await cpuPerRow(() => into(format === "Native" ? "raw_native" : "raw_rowbinary"), built.rows);
    const viewsUs = await cpuPerRow(() => into("telemetry"), built.rows);
    if (round > 2) {
      build[format].push(buildUs);
      raw[format].push(rawUs);
      withViews[format].push(viewsUs);
    }
  }
}

const range = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;
const stored = await driver.query<{ n: string }>("SELECT count() AS n FROM telemetry");
console.log(
  `\ninsert-format-cost — ${rows.toLocaleString("en")} meter readings an insert, medians of ${rounds} rounds (range), µs a row\n`,
);
console.log("| format | build in JS | insert, raw table only (CPU) | insert with rollups and index (CPU) |");
console.log("| --- | --- | --- | --- |");
for (const format of FORMATS) {
  const cell = (v: number[]) => `${median(v).toFixed(2)} (${range(v)})`;
  console.log(`| ${format} | ${cell(build[format])} | ${cell(raw[format])} | ${cell(withViews[format])} |`);
}
const ratio = (v: Record<Format, number[]>) => (median(v.RowBinary) / median(v.Native)).toFixed(2);
console.log(`\nRowBinary ÷ Native: raw ${ratio(raw)}×, with rollups ${ratio(withViews)}×`);
console.log(`rows in telemetry: ${stored[0]?.n} (expected ${2 * (rounds + 2) * Math.ceil(rows / 3) * 3})`);
await store.close();
rmSync(dir, { recursive: true, force: true });
