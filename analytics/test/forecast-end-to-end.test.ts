import { describe, expect, it } from "vitest";
import { dustSiteDays } from "../../simulators/src/scenarios/dust-site-days.ts";
import { floodStationDays } from "../../simulators/src/scenarios/flood-station-days.ts";
import { dustForecasterDefinition } from "../src/forecast/dust-forecaster.ts";
import { evaluateAlarms } from "../src/forecast/event-metrics.ts";
import {
  alarmsOf,
  type ExceedanceForecasterDefinition,
  forecastSeries,
  trainExceedanceForecaster,
} from "../src/forecast/exceedance-forecaster.ts";
import { floodForecasterDefinition } from "../src/forecast/flood-forecaster.ts";
import type { LabelledSeries } from "../src/forecast/labelled-series.ts";

const MINUTE = 60_000;
/** A level or an average that wobbles back over the line within 10 minutes is still the same event. */
const INCIDENT_GAP_MS = 10 * MINUTE;

function trainAndEvaluate(
  definition: ExceedanceForecasterDefinition,
  training: readonly LabelledSeries[],
  heldOut: readonly LabelledSeries[],
  maxFalseAlarmsPerDeviceDay: number,
) {
  const model = trainExceedanceForecaster(definition, training, {
    maxFalseAlarmsPerDeviceDay,
    incidentGapMs: INCIDENT_GAP_MS,
  });
  const alarms = heldOut.map((s) => alarmsOf(forecastSeries(model, s), model.threshold));
  return { model, metrics: evaluateAlarms(heldOut, alarms, { ...definition, incidentGapMs: INCIDENT_GAP_MS }) };
}

describe("exceedance forecasters on held-out simulated days", () => {
  it("dust: trained on 20 days × 3 monitors (seed 1), warns of the 1-hour PM10 limit on 20 other days (seed 2)", () => {
    const { model, metrics: m } = trainAndEvaluate(
      dustForecasterDefinition,
      dustSiteDays({ seed: 1, days: 20, devices: 3 }).devices,
      dustSiteDays({ seed: 2, days: 20, devices: 3 }).devices,
      0.25,
    );
    expect([model.threshold, model.training.rows, model.training.positives]).toEqual([0.8, 86_043, 4091]);
    expect([m.incidents, m.deviceDays]).toEqual([46, 60]);
    expect(m.byKind).toEqual({
      blasting: { incidents: 19, detected: 19 },
      "haul-road": { incidents: 26, detected: 25 },
      background: { incidents: 1, detected: 0 },
    });
    // Reached: 44 of 46 (95.7 %), 16 false alarms (0.27 per device-day), median 11 min early, p90 5 min early.
    expect(m.detectionRate).toBeGreaterThanOrEqual(0.93);
    expect(m.falseAlarmsPerDeviceDay).toBeLessThanOrEqual(0.3);
    expect(m.medianDelayMs).toBeLessThanOrEqual(-9 * MINUTE);
    expect(m.p90DelayMs).toBeLessThanOrEqual(-3 * MINUTE);
  });

  it("flood: trained on 120 days (seed 1), warns of the warning level on 200 other days (seed 2)", () => {
    const { model, metrics: m } = trainAndEvaluate(
      floodForecasterDefinition,
      [floodStationDays({ seed: 1, days: 120 })],
      [floodStationDays({ seed: 2, days: 200 })],
      0.1,
    );
    expect([model.threshold, model.training.rows, model.training.positives]).toEqual([0.2, 172_650, 508]);
    expect([m.incidents, m.deviceDays]).toEqual([18, 200]);
    // Reached: 18 of 18, 12 false alarms (0.06 per day), median 19.5 min early, p90 12 min early.
    expect(m.detectionRate).toBeGreaterThanOrEqual(17 / 18);
    expect(m.falseAlarmsPerDeviceDay).toBeLessThanOrEqual(0.08);
    expect(m.medianDelayMs).toBeLessThanOrEqual(-16 * MINUTE);
    expect(m.p90DelayMs).toBeLessThanOrEqual(-9 * MINUTE);
  });

  it("trains to bit-identical models on the same days", () => {
    const days = () => dustSiteDays({ seed: 4, days: 3, devices: 2 }).devices;
    const a = trainExceedanceForecaster(dustForecasterDefinition, days());
    expect(trainExceedanceForecaster(dustForecasterDefinition, days())).toEqual(a);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a); // and the model is plain JSON
  });
});
