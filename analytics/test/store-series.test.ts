import { describe, expect, it } from "vitest";
import { dustSiteDays } from "../../simulators/src/scenarios/dust-site-days.ts";
import { floodStationDays } from "../../simulators/src/scenarios/flood-station-days.ts";
import {
  dustExceedanceRule,
  exceedanceIncidents,
  floodExceedanceRule,
  ruleValues,
} from "../src/forecast/exceedance-incidents.ts";
import { labelledRuns, rowRuns } from "../src/forecast/labelled-runs.ts";

const MINUTE = 60_000;
const spans = (incidents: readonly { startMs: number; endMs: number }[]) =>
  incidents.map(({ startMs, endMs }) => ({ startMs, endMs }));

describe("incidents derived from a series by the scenario's definition", () => {
  it("dust: the 1-hour average PM10 above the limit gives the simulator's incidents, to the row", () => {
    for (const limit of [150, 100]) {
      const sim = dustSiteDays({ seed: 2, days: 4, devices: 2, pm10LimitUgM3: limit });
      const derived = sim.devices.map((d) =>
        labelledRuns(
          { device: d.device, timestamps: d.timestamps, columns: { pm10: d.columns.pm10, tsp: d.columns.tsp } },
          dustExceedanceRule(limit),
          { stepMs: MINUTE },
        ),
      );
      expect(derived.map((runs) => runs.length)).toEqual([1, 1]);
      expect(derived.map((runs) => runs[0]?.incidents.length)).toEqual(limit === 150 ? [6, 1] : [10, 8]);
      sim.devices.forEach((d, k) => {
        expect(derived[k]?.[0]?.incidents).toEqual(spans(d.incidents));
        expect(derived[k]?.[0]?.timestamps).toEqual(d.timestamps);
        expect(derived[k]?.[0]?.columns).toEqual({ pm10: d.columns.pm10, tsp: d.columns.tsp });
      });
    }
  });

  it("dust: the average is the simulator's hourly PM10, bit for bit (NaN for the first hour less a row)", () => {
    const [d] = dustSiteDays({ seed: 2, days: 1, devices: 1 }).devices;
    if (d === undefined) throw new Error("no device");
    const values = ruleValues(d.timestamps, d.columns.pm10, dustExceedanceRule(), MINUTE);
    expect(values).toEqual(d.hourlyPm10);
    expect(values.findIndex((v) => !Number.isNaN(v))).toBe(59);
  });

  it("flood: the water level above the warning level gives the simulator's incidents", () => {
    for (const warningLevelM of [1.2, 1.0]) {
      const f = floodStationDays({ seed: 1, days: 30, warningLevelM });
      const [run, ...more] = labelledRuns(
        { device: f.device, timestamps: f.timestamps, columns: { water_level: f.columns.water_level } },
        floodExceedanceRule(warningLevelM),
        { stepMs: MINUTE },
      );
      expect(more).toEqual([]);
      expect(run?.incidents.length).toBe(warningLevelM === 1.2 ? 3 : 11);
      expect(run?.incidents).toEqual(spans(f.incidents));
    }
  });
});

describe("rows with gaps", () => {
  it("a gap longer than the served model bridges (2 steps) starts a new run", () => {
    const t = [0, 1, 2, 4, 10, 11, 20].map((m) => m * MINUTE);
    expect(rowRuns(t, 2 * MINUTE)).toEqual([
      [0, 4],
      [4, 6],
      [6, 7],
    ]);
    expect(rowRuns([], 2 * MINUTE)).toEqual([]);
  });

  it("a trailing average covers the rows of its span, and starts only once the run covers it", () => {
    const t = [0, 1, 2, 4, 5].map((m) => m * MINUTE);
    const rule = { input: "x", limit: 3.5, averagingMs: 3 * MINUTE };
    // t=2: rows 0,1,2; t=4: rows 2,4 (3 is missing); t=5: rows 4,5.
    expect(Array.from(ruleValues(t, [1, 2, 3, 5, 6], rule, MINUTE))).toEqual([Number.NaN, Number.NaN, 2, 4, 5.5]);
    expect(exceedanceIncidents(t, [1, 2, 3, 5, 6], rule, MINUTE)).toEqual([{ startMs: 4 * MINUTE, endMs: 6 * MINUTE }]);
  });

  it("each run is labelled on its own: an incident does not reach across a gap, an average restarts after one", () => {
    const rows = 200;
    const timestamps = Array.from({ length: rows }, (_, i) => (i < 100 ? i : i + 5) * MINUTE);
    // Above the limit from row 90 to the end: one span in the data, two incidents, one per run.
    const level = Array.from({ length: rows }, (_, i) => (i >= 90 ? 2 : 1));
    const runs = labelledRuns(
      { device: "flood-01", timestamps, columns: { water_level: level } },
      floodExceedanceRule(1.2),
      { stepMs: MINUTE },
    );
    expect(runs.map((r) => [r.timestamps.length, r.timestamps[0]])).toEqual([
      [100, 0],
      [100, 105 * MINUTE],
    ]);
    expect(runs.map((r) => r.incidents)).toEqual([
      [{ startMs: 90 * MINUTE, endMs: 100 * MINUTE }],
      [{ startMs: 105 * MINUTE, endMs: 205 * MINUTE }],
    ]);
    const dust = labelledRuns(
      { device: "dust-01", timestamps, columns: { pm10: level.map((v) => v * 100) } },
      dustExceedanceRule(150),
      { stepMs: MINUTE },
    );
    // Before the gap the hour's average reaches 116.7 (10 of its 60 rows at 200); after it, the hour starts again.
    expect(dust.map((r) => r.incidents)).toEqual([[], [{ startMs: 164 * MINUTE, endMs: 205 * MINUTE }]]);
  });

  it("a rule on a column the rows lack is refused by name", () => {
    expect(() =>
      labelledRuns({ device: "dust-01", timestamps: [0], columns: { tsp: [1] } }, dustExceedanceRule(), {
        stepMs: MINUTE,
      }),
    ).toThrow("device dust-01 has no column pm10, the one the incidents are defined on");
  });
});
