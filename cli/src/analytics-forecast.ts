import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  alarmsOf,
  dustExceedanceRule,
  dustForecasterDefinition,
  type EventMetrics,
  type ExceedanceForecasterDefinition,
  type ExceedanceRule,
  evaluateAlarms,
  floodExceedanceRule,
  floodForecasterDefinition,
  forecasterOnnx,
  forecastSeries,
  htmlReport,
  incidentRows,
  type LabelledSeries,
  trainExceedanceForecaster,
} from "@lifeline/analytics";
import { LifelineError } from "@lifeline/contracts";

const MINUTE = 60_000;
/** A level or an average that wobbles back over the line within 10 minutes is still the same event. */
export const INCIDENT_GAP_MS = 10 * MINUTE;

/**
 * Loaded only for simulated days: the simulators load node-opcua, whose start-up check of RSA
 * PKCS#1 v1.5 prints a warning on stdout once the event loop turns (as it does while the store is read).
 */
const simulators = () => import("@lifeline/simulators");

export interface ForecastScenario {
  definition: ExceedanceForecasterDefinition;
  site: string;
  maxFalseAlarmsPerDeviceDay: number;
  days(seed: number, days: number, devices: number): Promise<LabelledSeries[]>;
  simulatedDays: { training: number; heldOut: number };
  /** From stored history: the option that sets the incidents' limit, its unit, and the incident rule. */
  limitOption: "limit" | "warning-level";
  limitUnit: string;
  rule(limit: number | undefined): ExceedanceRule;
}

export const FORECAST_SCENARIOS: Record<"dust" | "flood", ForecastScenario> = {
  dust: {
    definition: dustForecasterDefinition,
    site: "mine-datong-7",
    maxFalseAlarmsPerDeviceDay: 0.25,
    days: async (seed, days, devices) => (await simulators()).dustSiteDays({ seed, days, devices }).devices,
    simulatedDays: { training: 20, heldOut: 20 },
    limitOption: "limit",
    limitUnit: "µg/m³",
    rule: (limit) => dustExceedanceRule(limit),
  },
  flood: {
    definition: floodForecasterDefinition,
    site: "flood-jinshui-3",
    maxFalseAlarmsPerDeviceDay: 0.1,
    days: async (seed, days) => [(await simulators()).floodStationDays({ seed, days })],
    simulatedDays: { training: 120, heldOut: 200 },
    limitOption: "warning-level",
    limitUnit: "m",
    rule: (level) => floodExceedanceRule(level),
  },
};

/** What a model is trained and evaluated on, and how to say so. */
export interface ForecastData {
  training: LabelledSeries[];
  heldOut: LabelledSeries[];
  /** Where the model is served. */
  site: string;
  /** "2 series × 20 days (seed 1)": after "trained on". */
  trainedOn: string;
  /** "(seed 2)": after "held-out N device-days". */
  heldOutOn: string;
  /** Printed before the figures (the rows read per device), if any. */
  preamble?: string;
  /** The report's sentence on the data. */
  summary: string;
}

const SIMULATED_OPTIONS = ["seed", "eval-seed", "days", "eval-days"] as const;
const STORE_OPTIONS = [
  "data",
  "clickhouse-url",
  "from",
  "to",
  "eval-from",
  "eval-to",
  "limit",
  "warning-level",
] as const;

const OPTIONS = {
  out: { type: "string" },
  report: { type: "string" },
  site: { type: "string" },
  devices: { type: "string" },
  // Simulated days (the default).
  seed: { type: "string" },
  "eval-seed": { type: "string" },
  days: { type: "string" },
  "eval-days": { type: "string" },
  // Stored history.
  "from-store": { type: "boolean" },
  data: { type: "string" },
  "clickhouse-url": { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "eval-from": { type: "string" },
  "eval-to": { type: "string" },
  limit: { type: "string" },
  "warning-level": { type: "string" },
} as const;

export type ForecastOptionValues = ReturnType<typeof parseForecastArgs>;

function parseForecastArgs(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, strict: true }).values;
}

/**
 * `lifeline analytics train dust|flood`: trains an exceedance forecaster on simulated labelled
 * days — or, with `--from-store`, on a site's stored history — evaluates it on held-out data, and
 * writes the ONNX model with its figures.
 */
export async function trainForecaster(kind: "dust" | "flood", argv: string[]): Promise<number> {
  const values = parseForecastArgs(argv);
  if (values.out === undefined) throw Object.assign(new Error("train needs --out MODEL.onnx"), { usage: true });
  checkSourceOptions(values);
  const s = FORECAST_SCENARIOS[kind];
  let data: ForecastData;
  if (values["from-store"] === true) {
    // Loaded only here: the store's module loads chdb's bindings.
    const { storeForecastData } = await import("./forecast-store-data.ts");
    data = await storeForecastData(s, values);
  } else {
    data = await simulatedData(s, values);
  }
  trainAndReport(s, data, values.out, values.report);
  return 0;
}

async function simulatedData(s: ForecastScenario, values: ForecastOptionValues): Promise<ForecastData> {
  const seed = values.seed ?? "1";
  const evalSeed = values["eval-seed"] ?? "2";
  const days = values.days ?? String(s.simulatedDays.training);
  const evalDays = values["eval-days"] ?? String(s.simulatedDays.heldOut);
  const devices = Number(values.devices ?? "3");
  const training = await s.days(Number(seed), Number(days), devices);
  return {
    training,
    heldOut: await s.days(Number(evalSeed), Number(evalDays), devices),
    site: values.site ?? s.site,
    trainedOn: `${training.length} series × ${days} days (seed ${seed})`,
    heldOutOn: `(seed ${evalSeed})`,
    summary: `Trained on simulated days (seed ${seed}), shown on held-out days (seed ${evalSeed}).`,
  };
}

/** A bad option value: `lifeline analytics` prints the code and message and exits 1. */
export function trainingOptionError(option: string, message: string): LifelineError {
  return new LifelineError("ANALYTICS_TRAINING_OPTION", `${option}: ${message}`, { detail: { option } });
}

/** Options of the one source given with the other are refused, not ignored. */
function checkSourceOptions(values: ForecastOptionValues): void {
  const fromStore = values["from-store"] === true;
  const wrong = (fromStore ? SIMULATED_OPTIONS : STORE_OPTIONS).find((name) => values[name] !== undefined);
  if (wrong === undefined) return;
  throw trainingOptionError(
    `--${wrong}`,
    fromStore
      ? "is for simulated days; with --from-store the data is the store's between --from and --to"
      : "is for stored history: add --from-store",
  );
}

/** The hash of what a model learned from: every timestamp and value, in order. */
export function seriesSha256(series: readonly LabelledSeries[]): string {
  const h = createHash("sha256");
  for (const s of series) {
    h.update(s.device);
    h.update(new Uint8Array(Float64Array.from(s.timestamps).buffer));
    for (const [name, values] of Object.entries(s.columns)) {
      h.update(name);
      h.update(new Uint8Array(Float64Array.from(values).buffer));
    }
  }
  return h.digest("hex");
}

function metricsTable(name: string, m: EventMetrics): string {
  const min = (ms: number | null | undefined) =>
    ms === null || ms === undefined || !Number.isFinite(ms) ? "–" : `${(ms / MINUTE).toFixed(1)} min`;
  const rate = m.incidents === 0 ? "–" : `${(100 * m.detectionRate).toFixed(1)} %`;
  return [
    `| model | incidents | detected | detection rate | false alarms | per device-day | delay median | delay p90 |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    `| ${name} | ${m.incidents} | ${m.detected} | ${rate} | ${m.falseAlarms} | ${m.falseAlarmsPerDeviceDay.toFixed(2)} | ${min(m.medianDelayMs)} | ${min(m.p90DelayMs)} |`,
  ].join("\n");
}

function trainAndReport(s: ForecastScenario, data: ForecastData, out: string, report: string | undefined): void {
  const { training, heldOut } = data;
  const model = trainExceedanceForecaster(s.definition, training, {
    maxFalseAlarmsPerDeviceDay: s.maxFalseAlarmsPerDeviceDay,
    incidentGapMs: INCIDENT_GAP_MS,
  });
  const probabilities = heldOut.map((series) => forecastSeries(model, series));
  const alarms = probabilities.map((p) => alarmsOf(p, model.threshold));
  const m = evaluateAlarms(heldOut, alarms, { ...s.definition, incidentGapMs: INCIDENT_GAP_MS });
  const figures = {
    detection_rate: Number(m.detectionRate.toFixed(4)),
    false_alarms_per_device_day: Number(m.falseAlarmsPerDeviceDay.toFixed(4)),
    median_delay_min: m.medianDelayMs / MINUTE,
    held_out_device_days: m.deviceDays,
  };
  // No held-out incident leaves no detection rate or delay: left out, not written as NaN.
  const metrics = Object.fromEntries(Object.entries(figures).filter(([, v]) => Number.isFinite(v)));
  const bytes = forecasterOnnx(model, { site: data.site, trainingDataSha256: seriesSha256(training), metrics });
  writeFileSync(out, bytes);
  const name = s.definition.name;
  process.stdout.write(
    `${data.preamble ?? ""}${name}: trained on ${data.trainedOn}, threshold ${model.threshold}; held-out ${m.deviceDays} device-days ${data.heldOutOn}:\n\n${metricsTable(name, m)}\n\nwrote ${out} (${bytes.length} bytes)\n`,
  );
  if (report === undefined) return;
  const perDevice = new Map<string, number>();
  for (const series of heldOut) perDevice.set(series.device, (perDevice.get(series.device) ?? 0) + 1);
  writeFileSync(
    report,
    htmlReport({
      title: `${name}: probability of exceedance within ${s.definition.horizonMs / MINUTE} min`,
      summary: `${s.definition.description}. ${data.summary}`,
      metrics: {
        incidents: m.incidents,
        detected: m.detected,
        "detection rate": m.incidents === 0 ? "–" : `${(100 * m.detectionRate).toFixed(1)} %`,
        "false alarms per device-day": m.falseAlarmsPerDeviceDay.toFixed(2),
        "median delay (negative = early warning)": Number.isFinite(figures.median_delay_min)
          ? figures.median_delay_min.toFixed(1)
          : "–",
        threshold: model.threshold,
      },
      panels: heldOut.map((series, i) => ({
        // A device whose history has gaps is several series: each panel says where it starts.
        title:
          (perDevice.get(series.device) ?? 0) > 1
            ? `${series.device} from ${new Date(series.timestamps[0] as number).toISOString()}`
            : series.device,
        ts: Array.from(series.timestamps),
        score: Array.from(probabilities[i] ?? []),
        threshold: model.threshold,
        labels: Array.from(incidentRows(series)),
        predictions: Array.from(alarms[i] ?? []),
      })),
      generatedAt: Date.now(),
    }),
  );
  process.stdout.write(`wrote ${report}\n`);
}
