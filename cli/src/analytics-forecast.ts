import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  alarmsOf,
  dustForecasterDefinition,
  type EventMetrics,
  type ExceedanceForecasterDefinition,
  evaluateAlarms,
  floodForecasterDefinition,
  forecasterOnnx,
  forecastSeries,
  htmlReport,
  incidentRows,
  type LabelledSeries,
  trainExceedanceForecaster,
} from "@lifeline/analytics";
import { dustSiteDays, floodStationDays } from "@lifeline/simulators";

const MINUTE = 60_000;
/** A level or an average that wobbles back over the line within 10 minutes is still the same event. */
const INCIDENT_GAP_MS = 10 * MINUTE;

interface Scenario {
  definition: ExceedanceForecasterDefinition;
  site: string;
  maxFalseAlarmsPerDeviceDay: number;
  days(seed: number, days: number, devices: number): LabelledSeries[];
}

const SCENARIOS: Record<"dust" | "flood", Scenario> = {
  dust: {
    definition: dustForecasterDefinition,
    site: "mine-datong-7",
    maxFalseAlarmsPerDeviceDay: 0.25,
    days: (seed, days, devices) => dustSiteDays({ seed, days, devices }).devices,
  },
  flood: {
    definition: floodForecasterDefinition,
    site: "flood-jinshui-3",
    maxFalseAlarmsPerDeviceDay: 0.1,
    days: (seed, days) => [floodStationDays({ seed, days })],
  },
};

/** The hash of what a model learned from: every timestamp and value, in order. */
function seriesSha256(series: readonly LabelledSeries[]): string {
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
    ms === null || ms === undefined ? "–" : `${(ms / MINUTE).toFixed(1)} min`;
  return [
    `| model | incidents | detected | detection rate | false alarms | per device-day | delay median | delay p90 |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    `| ${name} | ${m.incidents} | ${m.detected} | ${(100 * m.detectionRate).toFixed(1)} % | ${m.falseAlarms} | ${m.falseAlarmsPerDeviceDay.toFixed(2)} | ${min(m.medianDelayMs)} | ${min(m.p90DelayMs)} |`,
  ].join("\n");
}

/**
 * `lifeline analytics train dust|flood`: trains an exceedance forecaster on simulated labelled
 * days, evaluates it on other (held-out) days, and writes the ONNX model with its figures.
 */
export async function trainForecaster(kind: "dust" | "flood", argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: "string" },
      site: { type: "string" },
      seed: { type: "string", default: "1" },
      "eval-seed": { type: "string", default: "2" },
      days: { type: "string", default: kind === "dust" ? "20" : "120" },
      "eval-days": { type: "string", default: kind === "dust" ? "20" : "200" },
      devices: { type: "string", default: "3" },
      report: { type: "string" },
    },
    strict: true,
  });
  if (values.out === undefined) throw Object.assign(new Error("train needs --out MODEL.onnx"), { usage: true });
  const s = SCENARIOS[kind];
  const devices = Number(values.devices);
  const training = s.days(Number(values.seed), Number(values.days), devices);
  const heldOut = s.days(Number(values["eval-seed"]), Number(values["eval-days"]), devices);
  const model = trainExceedanceForecaster(s.definition, training, {
    maxFalseAlarmsPerDeviceDay: s.maxFalseAlarmsPerDeviceDay,
    incidentGapMs: INCIDENT_GAP_MS,
  });
  const probabilities = heldOut.map((series) => forecastSeries(model, series));
  const alarms = probabilities.map((p) => alarmsOf(p, model.threshold));
  const m = evaluateAlarms(heldOut, alarms, { ...s.definition, incidentGapMs: INCIDENT_GAP_MS });
  const metrics = {
    detection_rate: Number(m.detectionRate.toFixed(4)),
    false_alarms_per_device_day: Number(m.falseAlarmsPerDeviceDay.toFixed(4)),
    median_delay_min: m.medianDelayMs / MINUTE,
    held_out_device_days: m.deviceDays,
  };
  const bytes = forecasterOnnx(model, {
    site: values.site ?? s.site,
    trainingDataSha256: seriesSha256(training),
    metrics,
  });
  writeFileSync(values.out, bytes);
  process.stdout.write(
    `${s.definition.name}: trained on ${training.length} series × ${values.days} days (seed ${values.seed}), threshold ${model.threshold}; held-out ${m.deviceDays} device-days (seed ${values["eval-seed"]}):\n\n${metricsTable(s.definition.name, m)}\n\nwrote ${values.out} (${bytes.length} bytes)\n`,
  );
  if (values.report !== undefined) {
    writeFileSync(
      values.report,
      htmlReport({
        title: `${s.definition.name}: probability of exceedance within ${s.definition.horizonMs / MINUTE} min`,
        summary: `${s.definition.description}. Trained on simulated days (seed ${values.seed}), shown on held-out days (seed ${values["eval-seed"]}).`,
        metrics: {
          incidents: m.incidents,
          detected: m.detected,
          "detection rate": `${(100 * m.detectionRate).toFixed(1)} %`,
          "false alarms per device-day": m.falseAlarmsPerDeviceDay.toFixed(2),
          "median delay (negative = early warning)": metrics.median_delay_min.toFixed(1),
          threshold: model.threshold,
        },
        panels: heldOut.map((series, i) => ({
          title: `${series.device}`,
          ts: Array.from(series.timestamps),
          score: Array.from(probabilities[i] ?? []),
          threshold: model.threshold,
          labels: Array.from(incidentRows(series)),
          predictions: Array.from(alarms[i] ?? []),
        })),
        generatedAt: Date.now(),
      }),
    );
    process.stdout.write(`wrote ${values.report}\n`);
  }
  return 0;
}
