import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  alarmsOf,
  type DeviceRows,
  dustExceedanceRule,
  dustForecasterDefinition,
  evaluateAlarms,
  forecastSeries,
  type LabelledSeries,
  labelledRuns,
  MODEL_SPEC_KEY,
  readModelMetadata,
  sha256Hex,
  trainExceedanceForecaster,
} from "@lifeline/analytics";
import { dustSiteDays } from "@lifeline/simulators";
import { ChdbDriver, type TelemetryRow, TelemetryStore } from "@lifeline/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FORECAST_SCENARIOS, INCIDENT_GAP_MS, seriesSha256, trainForecaster } from "../src/analytics-forecast.ts";
import { readDeviceRows, type SiteDevices, siteDevices } from "../src/store-device-rows.ts";
import { runLifeline } from "./run-lifeline.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const SITE = "mine-datong-7";
const INPUTS = dustForecasterDefinition.inputs;
const sim = dustSiteDays({ seed: 2, days: 4, devices: 2 });
const T0 = sim.devices[0]?.timestamps[0] as number; // 2026-06-01 00:00 at +08:00
const SPLIT = T0 + 3 * DAY; // the last quarter of the 4 days is held out
const END = T0 + 4 * DAY;
const iso = (ms: number) => new Date(ms).toISOString();
/** Held out: dust-02 is silent for 10 minutes (a gap), dust-01 sends one bad PM10 reading (a missing row). */
const SILENT = { from: SPLIT + 300 * MINUTE, to: SPLIT + 310 * MINUTE };
const BAD_AT = SPLIT + 700 * MINUTE;

const dir = mkdtempSync(join(tmpdir(), "lifeline-train-store-"));
const data = join(dir, "clickhouse");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The simulated readings as the stream processor stores them: an envelope per device and minute. */
function telemetryRows(): TelemetryRow[] {
  const rows: TelemetryRow[] = [];
  let streamSeq = 0;
  for (const d of sim.devices) {
    d.timestamps.forEach((ts, i) => {
      if (d.device === "dust-02" && ts >= SILENT.from && ts < SILENT.to) return;
      streamSeq++;
      (["pm10", "tsp", "wind_speed", "wind_direction"] as const).forEach((metric, idx) => {
        const bad = d.device === "dust-01" && metric === "pm10" && ts === BAD_AT;
        rows.push({
          ...{ site: SITE, gateway: "gw-01", device: d.device, metric, ts, value: d.columns[metric][i] as number },
          ...{ unit: metric.startsWith("wind") ? "m/s" : "ug/m3", quality: bad ? "bad" : "good", boot_id: "b1" },
          ...{ seq: i, idx, stream_seq: streamSeq },
        });
      });
    });
  }
  // A monitor with PM10 only: not a device the model can be trained on.
  for (let i = 0; i < 60; i++) {
    const ts = T0 + i * MINUTE;
    rows.push({
      ...{ site: SITE, gateway: "gw-01", device: "dust-99", metric: "pm10", ts, value: 50, unit: "ug/m3" },
      ...{ quality: "good", boot_id: "b1", seq: i, idx: 0, stream_seq: ++streamSeq },
    });
  }
  return rows;
}

/** The simulated days cut at `to`, with the simulator's incidents that started before it. */
function simulatedUntil(to: number): LabelledSeries[] {
  return sim.devices.map((d) => {
    const n = d.timestamps.findIndex((t) => t >= to);
    const columns = Object.fromEntries(INPUTS.map((m) => [m, d.columns[m as "pm10"].slice(0, n)]));
    const incidents = d.incidents
      .filter((i) => i.startMs < to)
      .map((i) => ({ startMs: i.startMs, endMs: Math.min(i.endMs, to) }));
    return { device: d.device, timestamps: d.timestamps.slice(0, n), columns, incidents };
  });
}

const TRAINING_OPTIONS = {
  maxFalseAlarmsPerDeviceDay: FORECAST_SCENARIOS.dust.maxFalseAlarmsPerDeviceDay,
  incidentGapMs: INCIDENT_GAP_MS,
};
let devices: SiteDevices;
let read: { training: DeviceRows[]; heldOut: DeviceRows[] };
let training: LabelledSeries[];
let heldOut: LabelledSeries[];

beforeAll(async () => {
  const store = await TelemetryStore.open(new ChdbDriver(data));
  try {
    expect(await store.insertTelemetry(telemetryRows(), "sim-seed-2")).toBe(2 * 4 * 4 * 1440 - 4 * 10 + 60);
    devices = await siteDevices(store, SITE, INPUTS);
    const q = { site: SITE, devices: devices.complete, inputs: INPUTS, stepMs: MINUTE };
    read = {
      training: await readDeviceRows(store, { ...q, from: T0, to: SPLIT }),
      heldOut: await readDeviceRows(store, { ...q, from: SPLIT, to: END }),
    };
  } finally {
    // chdb allows one process per folder: the `lifeline` run below opens it next.
    await store.close();
  }
  const runs = (rows: DeviceRows[]) => rows.flatMap((r) => labelledRuns(r, dustExceedanceRule(), { stepMs: MINUTE }));
  training = runs(read.training);
  heldOut = runs(read.heldOut);
}, 60_000);

describe("dust forecaster trained from the store", () => {
  it("reads a row per minute of the devices with every input, leaving out steps where one is missing", () => {
    expect(devices.complete).toEqual(["dust-01", "dust-02"]);
    expect(devices.partial).toEqual(new Map([["dust-99", ["tsp", "wind_speed"]]]));
    expect(read.training.map((r) => r.timestamps.length)).toEqual([4320, 4320]);
    expect(read.heldOut.map((r) => r.timestamps.length)).toEqual([1439, 1430]);
    // The stored averages are the simulated readings, to the last bit.
    const simulated = simulatedUntil(SPLIT);
    read.training.forEach((r, k) => {
      expect(r.timestamps).toEqual(Float64Array.from(simulated[k]?.timestamps ?? []));
      expect(r.columns).toEqual(simulated[k]?.columns);
    });
  });

  it("derives the simulator's incidents from the stored PM10, and splits the held-out rows at the gap", () => {
    expect(training.map((s) => [s.device, s.incidents.length])).toEqual([
      ["dust-01", 5],
      ["dust-02", 1],
    ]);
    expect(training.map((s) => s.incidents)).toEqual(simulatedUntil(SPLIT).map((s) => s.incidents));
    // The bad reading is a missing row that the served window bridges; the 10 silent minutes are a gap.
    expect(heldOut.map((s) => [s.device, s.timestamps.length, s.incidents.length])).toEqual([
      ["dust-01", 1439, 1],
      ["dust-02", 300, 0],
      ["dust-02", 1130, 0],
    ]);
  });

  it("learns the same model from the store as from the simulated days (one feature function)", () => {
    const direct = trainExceedanceForecaster(dustForecasterDefinition, simulatedUntil(SPLIT), TRAINING_OPTIONS);
    const fromStore = trainExceedanceForecaster(dustForecasterDefinition, training, TRAINING_OPTIONS);
    expect(fromStore).toEqual(direct);
    expect(fromStore.training.rows).toBe(2 * (4320 - 59 - 60));
  });

  it("lifeline analytics train dust --from-store prints the rows and the held-out figures and writes the model", async () => {
    const out = join(dir, "dust.onnx");
    const report = join(dir, "dust.html");
    const run = await runLifeline([
      ...["analytics", "train", "dust", "--from-store", "--data", data, "--site", SITE],
      ...["--from", iso(T0), "--to", iso(END), "--out", out, "--report", report],
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const model = trainExceedanceForecaster(dustForecasterDefinition, training, TRAINING_OPTIONS);
    const m = evaluateAlarms(
      heldOut,
      heldOut.map((s) => alarmsOf(forecastSeries(model, s), model.threshold)),
      { ...dustForecasterDefinition, incidentGapMs: INCIDENT_GAP_MS },
    );
    expect(m.incidents).toBe(1);
    expect(m.deviceDays).toBe((1439 + 1430) / 1440);
    const delay = (ms: number) => (Number.isFinite(ms) ? `${(ms / MINUTE).toFixed(1)} min` : "–");
    expect(run.stdout).toBe(
      [
        "| device | training rows | series | incidents | held-out rows | series | incidents |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| dust-01 | 4320 | 1 | 5 | 1439 | 1 | 1 |",
        "| dust-02 | 4320 | 1 | 1 | 1430 | 2 | 0 |",
        "",
        "incidents: the 60-minute average of pm10 above 150 µg/m³",
        "",
        `dust-pm10-1h-60min: trained on 8640 rows of 2 devices at ${SITE} (${iso(T0)} – ${iso(SPLIT)}, 2 series), threshold ${model.threshold}; held-out ${m.deviceDays} device-days (${iso(SPLIT)} – ${iso(END)}, 3 series):`,
        "",
        "| model | incidents | detected | detection rate | false alarms | per device-day | delay median | delay p90 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        `| dust-pm10-1h-60min | 1 | ${m.detected} | ${(100 * m.detectionRate).toFixed(1)} % | ${m.falseAlarms} | ${m.falseAlarmsPerDeviceDay.toFixed(2)} | ${delay(m.medianDelayMs)} | ${delay(m.p90DelayMs)} |`,
        "",
        `wrote ${out} (${readFileSync(out).length} bytes)`,
        `wrote ${report}`,
        "",
      ].join("\n"),
    );
    const { metadata } = readModelMetadata(new Uint8Array(readFileSync(out)));
    expect(metadata["lifeline.parameters_sha256"]).toBe(sha256Hex(new TextEncoder().encode(JSON.stringify(model))));
    expect(metadata["lifeline.training_data_sha256"]).toBe(seriesSha256(training));
    expect(metadata["lifeline.threshold"]).toBe(String(model.threshold));
    expect(JSON.parse(metadata[MODEL_SPEC_KEY] ?? "{}")).toMatchObject({
      site: SITE,
      device: "*",
      stepMs: 60_000,
      maxRowGapMs: 120_000,
    });
    expect(Number(metadata["metric.held_out_device_days"])).toBe(m.deviceDays);
    expect(readFileSync(report, "utf8")).toContain("dust-02 from 2026-06-03T21:10:00.000Z");
  }, 60_000);
});

describe("errors name the option", () => {
  const train = (...args: string[]) =>
    trainForecaster("dust", ["--out", join(dir, "never.onnx"), "--from-store", "--data", data, ...args]);
  const period = ["--from", iso(T0), "--to", iso(END)];

  it.each([
    [
      ["--site", SITE, ...period, "--limit", "lots"],
      "ANALYTICS_TRAINING_OPTION",
      "--limit: expected a number (µg/m³), got 'lots'",
    ],
    [
      ["--site", SITE, ...period, "--warning-level", "1.2"],
      "ANALYTICS_TRAINING_OPTION",
      "--warning-level: is not a setting of dust-pm10-1h-60min; its limit is --limit",
    ],
    [[...period], "ANALYTICS_TRAINING_OPTION", "--site: is required with --from-store: the site to read"],
    [
      ["--site", SITE, "--from", "2026-06-01T00:00", "--to", iso(END)],
      "ANALYTICS_TRAINING_OPTION",
      "--from: expected an ISO 8601 time with its zone (2026-06-01T00:00+08:00, 2026-06-01T00:00Z) or a date (UTC), got '2026-06-01T00:00'",
    ],
    [
      ["--site", SITE, "--from", iso(T0 + 1000), "--to", iso(END)],
      "ANALYTICS_TRAINING_OPTION",
      `--from: ${iso(T0 + 1000)} is not on the model's 60 s grid of rows`,
    ],
    [
      ["--site", SITE, ...period, "--eval-from", iso(END)],
      "ANALYTICS_TRAINING_OPTION",
      "--eval-to: give --eval-from and --eval-to together",
    ],
    [
      ["--site", SITE, ...period, "--eval-from", iso(SPLIT), "--eval-to", iso(END + DAY)],
      "ANALYTICS_TRAINING_OPTION",
      `--eval-from: ${iso(SPLIT)} … ${iso(END + DAY)} overlaps --from … --to: held-out data must be data the model did not learn from`,
    ],
    [
      ["--site", SITE, ...period, "--days", "3"],
      "ANALYTICS_TRAINING_OPTION",
      "--days: is for simulated days; with --from-store the data is the store's between --from and --to",
    ],
    [
      ["--site", SITE, ...period, "--devices", "dust-99"],
      "ANALYTICS_TRAINING_OPTION",
      "--devices: dust-99 at site mine-datong-7 has no tsp, wind_speed (the model's inputs: pm10, tsp, wind_speed)",
    ],
    [
      ["--site", SITE, ...period, "--devices", "dust-07"],
      "ANALYTICS_TRAINING_OPTION",
      "--devices: site mine-datong-7 has no device dust-07 with the model's inputs (pm10, tsp, wind_speed)",
    ],
    [
      ["--site", "quarry-2", ...period],
      "ANALYTICS_TRAINING_NO_DATA",
      "--site quarry-2: no device has every input of the model (pm10, tsp, wind_speed)",
    ],
    [
      ["--site", SITE, "--from", "2026-07-01", "--to", "2026-07-05"],
      "ANALYTICS_TRAINING_NO_DATA",
      "--from … --to: no rows with every input at mine-datong-7 in 2026-07-01T00:00:00.000Z – 2026-07-04T00:00:00.000Z",
    ],
    [
      ["--site", SITE, ...period, "--limit", "1000"],
      "ANALYTICS_TRAINING_NO_INCIDENTS",
      `--from … --to: no incident to learn from in ${iso(T0)} – ${iso(SPLIT)} (the 60-minute average of pm10 above 1000 µg/m³): widen the period or lower the limit`,
    ],
  ])("%j: %s", async (args, code, message) => {
    await expect(train(...args)).rejects.toMatchObject({ code, message });
  });

  it("--data that is not a store is refused before anything is created", async () => {
    const nope = join(dir, "nope");
    const args = ["--from-store", "--data", nope, "--site", SITE, ...period];
    await expect(trainForecaster("dust", ["--out", join(dir, "x.onnx"), ...args])).rejects.toMatchObject({
      code: "ANALYTICS_TRAINING_OPTION",
      message: `--data: no store at ${nope}: give the folder of \`lifeline processor --data\` (DIR/clickhouse of \`lifeline up --data DIR\`), or --clickhouse-url`,
    });
    expect(existsSync(nope)).toBe(false);
  });

  it("the command exits 1 with the code and the message", async () => {
    const flood = ["analytics", "train", "flood", "--out", join(dir, "f.onnx"), "--from-store", "--site", SITE];
    const run = await runLifeline([...flood, ...period, "--warning-level", "high"]);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: "lifeline analytics: ANALYTICS_TRAINING_OPTION: --warning-level: expected a number (m), got 'high'\n",
    });
  });
});
