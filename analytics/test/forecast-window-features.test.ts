import { describe, expect, it } from "vitest";
import { exceedanceTargets, incidentRows, type LabelledSeries, seriesWindow } from "../src/forecast/labelled-series.ts";
import { checkWindowShape, statRows, type WindowShape, windowFeatures } from "../src/forecast/window-features.ts";

// Four rows of (a, b), oldest first: a = 1, 2, 3, 10 and b = 5, 4, 3, 2.
const WINDOW = [1, 5, 2, 4, 3, 3, 10, 2];
const SHAPE: WindowShape = {
  inputs: ["a", "b"],
  window: 4,
  features: [
    { name: "a_mean_4", kind: "stat", stat: { input: "a", reduce: "mean", rows: 4 } },
    { name: "a_mean_2", kind: "stat", stat: { input: "a", reduce: "mean", rows: 2 } },
    { name: "a_max_3_before_newest", kind: "stat", stat: { input: "a", reduce: "max", rows: 3, skip: 1 } },
    { name: "b_min_2", kind: "stat", stat: { input: "b", reduce: "min", rows: 2 } },
    {
      name: "a_change_2",
      kind: "difference",
      stat: { input: "a", reduce: "mean", rows: 1 },
      minus: { input: "a", reduce: "mean", rows: 1, skip: 2 },
    },
  ],
};

describe("windowFeatures", () => {
  it("reduces the newest rows of an input, skipping the newest `skip`, and takes differences", () => {
    // (1+2+3+10)/4, (3+10)/2, max(1, 2, 3), min(3, 2), 10 − 2
    expect([...windowFeatures(SHAPE, WINDOW)]).toEqual([4, 6.5, 3, 2, 8]);
  });

  it("gives the Slice range of a statistic", () => {
    expect(statRows({ input: "a", reduce: "max", rows: 3, skip: 1 }, 4)).toEqual({ from: 0, to: 3 });
    expect(statRows({ input: "a", reduce: "mean", rows: 60 }, 60)).toEqual({ from: 0, to: 60 });
  });

  it("refuses a window of the wrong size and features outside the window or on unknown inputs", () => {
    expect(() => windowFeatures(SHAPE, WINDOW.slice(2))).toThrow("a window of 4 rows × 2 inputs has 8 values, got 6");
    const bad = (stat: { input: string; rows: number; skip?: number }) =>
      checkWindowShape({ ...SHAPE, features: [{ name: "f", kind: "stat", stat: { reduce: "mean", ...stat } }] });
    expect(() => bad({ input: "c", rows: 1 })).toThrow("feature f: input c is not one of a, b");
    expect(() => bad({ input: "a", rows: 4, skip: 1 })).toThrow("feature f: rows [-1, 3) are not inside a window of 4");
    expect(() => bad({ input: "a", rows: 0 })).toThrow("feature f: rows [4, 4) are not inside a window of 4");
    expect(() => checkWindowShape(SHAPE)).not.toThrow();
  });
});

const MINUTE = 60_000;
const series: LabelledSeries = {
  device: "d1",
  timestamps: Array.from({ length: 10 }, (_, i) => i * MINUTE),
  columns: { a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], b: [9, 8, 7, 6, 5, 4, 3, 2, 1, 0] },
  incidents: [{ startMs: 5 * MINUTE, endMs: 7 * MINUTE }],
};

describe("labelled series", () => {
  it("marks the rows of an incident, [start, end)", () => {
    expect([...incidentRows(series)]).toEqual([0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
  });

  it("targets the rows with an incident row in the next horizon, known where the series covers it", () => {
    const { targets, known } = exceedanceTargets(series, 2 * MINUTE);
    // Row 3 looks at rows 4 and 5, row 5 at 6 and 7, row 6 at 7 and 8.
    expect([...targets]).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0]);
    expect([...known]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it("cuts a window ending at a row, oldest row first, inputs in the shape's order", () => {
    const out = new Float64Array(6);
    const shape: WindowShape = { inputs: ["b", "a"], window: 3, features: [] };
    expect(seriesWindow(shape, series, 4, out)).toBe(true);
    expect([...out]).toEqual([7, 2, 6, 3, 5, 4]);
    expect(seriesWindow(shape, series, 1, out)).toBe(false);
    expect(() => seriesWindow({ ...shape, inputs: ["c"] }, series, 4, out)).toThrow("series d1 has no column c");
  });
});
