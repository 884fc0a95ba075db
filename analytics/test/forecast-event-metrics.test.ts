import { describe, expect, it } from "vitest";
import { alarmEpisodes, evaluateAlarms, mergedIncidents, quantile } from "../src/forecast/event-metrics.ts";
import type { LabelledSeries } from "../src/forecast/labelled-series.ts";

const MINUTE = 60_000;
const minutes = (n: number) => Array.from({ length: n }, (_, i) => i * MINUTE);
const alarmsAt = (n: number, on: number[]) => Uint8Array.from({ length: n }, (_, i) => (on.includes(i) ? 1 : 0));
const OPTIONS = { horizonMs: 5 * MINUTE, stepMs: MINUTE };

// 30 minutes; incident A in minutes [10, 13), B in [20, 22); horizon 5 min.
const first: LabelledSeries = {
  device: "d1",
  timestamps: minutes(30),
  columns: {},
  incidents: [
    { startMs: 10 * MINUTE, endMs: 13 * MINUTE, kind: "blasting" },
    { startMs: 20 * MINUTE, endMs: 22 * MINUTE, kind: "haul-road" },
  ],
};
// Alarms at 2–3 (ends before A's horizon opens at 5: false), 7–8 (3 min early for A), 21 (1 min into B),
// 27 (after B ended at 22: false).
const FIRST_ALARMS = alarmsAt(30, [2, 3, 7, 8, 21, 27]);

describe("alarmEpisodes", () => {
  it("finds the maximal runs of alarmed rows", () => {
    expect(alarmEpisodes(first.timestamps, FIRST_ALARMS)).toEqual([
      { startIndex: 2, endIndex: 4, startMs: 2 * MINUTE, lastMs: 3 * MINUTE },
      { startIndex: 7, endIndex: 9, startMs: 7 * MINUTE, lastMs: 8 * MINUTE },
      { startIndex: 21, endIndex: 22, startMs: 21 * MINUTE, lastMs: 21 * MINUTE },
      { startIndex: 27, endIndex: 28, startMs: 27 * MINUTE, lastMs: 27 * MINUTE },
    ]);
  });
});

describe("evaluateAlarms", () => {
  it("counts detections with their lead or delay, and false alarms per device-day", () => {
    const m = evaluateAlarms([first], [FIRST_ALARMS], OPTIONS);
    expect(m.outcomes.map((o) => [o.kind, o.detected, o.delayMs])).toEqual([
      ["blasting", true, -3 * MINUTE],
      ["haul-road", true, MINUTE],
    ]);
    expect([m.incidents, m.detected, m.detectionRate, m.alarmEpisodes, m.falseAlarms]).toEqual([2, 2, 1, 4, 2]);
    expect(m.deviceDays).toBe(30 / 1440);
    expect(m.falseAlarmsPerDeviceDay).toBeCloseTo(96, 9); // 2 in half an hour
    expect(m.medianDelayMs).toBe(-MINUTE); // (−3 + 1) / 2 minutes
    expect(m.p90DelayMs).toBeCloseTo(0.6 * MINUTE, 6); // −3 + 0.9·(1 − (−3)) minutes
  });

  it("adds up over devices, a missed incident counting against the rate, and splits the rate by kind", () => {
    const second: LabelledSeries = {
      device: "d2",
      timestamps: minutes(30),
      columns: {},
      incidents: [{ startMs: 15 * MINUTE, endMs: 18 * MINUTE, kind: "blasting" }],
    };
    const m = evaluateAlarms([first, second], [FIRST_ALARMS, alarmsAt(30, [])], OPTIONS);
    expect([m.incidents, m.detected, m.detectionRate, m.falseAlarms, m.deviceDays]).toEqual([
      3,
      2,
      2 / 3,
      2,
      60 / 1440,
    ]);
    expect(m.byKind).toEqual({ blasting: { incidents: 2, detected: 1 }, "haul-road": { incidents: 1, detected: 1 } });
    expect(m.outcomes[2]).toEqual({
      device: "d2",
      startMs: 15 * MINUTE,
      endMs: 18 * MINUTE,
      kind: "blasting",
      detected: false,
      delayMs: undefined,
    });
  });

  it("credits an alarm that was on long before an incident with the horizon as its lead, not more", () => {
    const m = evaluateAlarms([first], [alarmsAt(30, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])], OPTIONS);
    expect(m.outcomes.map((o) => o.delayMs)).toEqual([-5 * MINUTE, undefined]);
    expect(m.falseAlarms).toBe(0);
  });

  it("does not count an alarm after an incident ended, nor one before its horizon", () => {
    const m = evaluateAlarms([first], [alarmsAt(30, [4, 13])], OPTIONS);
    expect([m.detected, m.falseAlarms, Number.isNaN(m.medianDelayMs)]).toEqual([0, 2, true]);
  });

  it("scores incidents less than `incidentGapMs` apart as one", () => {
    const wobbly: LabelledSeries = {
      ...first,
      incidents: [
        { startMs: 10 * MINUTE, endMs: 11 * MINUTE },
        { startMs: 12 * MINUTE, endMs: 16 * MINUTE },
        { startMs: 20 * MINUTE, endMs: 22 * MINUTE },
      ],
    };
    const alarms = alarmsAt(30, [12]);
    expect(evaluateAlarms([wobbly], [alarms], OPTIONS).incidents).toBe(3);
    const merged = evaluateAlarms([wobbly], [alarms], { ...OPTIONS, incidentGapMs: 2 * MINUTE });
    expect(merged.outcomes.map((o) => [o.startMs / MINUTE, o.endMs / MINUTE, o.delayMs])).toEqual([
      [10, 16, 2 * MINUTE],
      [20, 22, undefined],
    ]);
    expect(mergedIncidents(wobbly.incidents, MINUTE)).toHaveLength(3); // a gap of exactly 1 min is not less than 1 min
  });

  it("refuses alarms that do not match the series", () => {
    expect(() => evaluateAlarms([first], [alarmsAt(29, [])], OPTIONS)).toThrow("series d1: 30 rows but 29 alarms");
    expect(() => evaluateAlarms([first], [], OPTIONS)).toThrow("1 series but 0 alarm arrays");
  });
});

describe("quantile", () => {
  it("interpolates linearly between ranks", () => {
    expect([quantile([1, 2, 3, 4], 0.5), quantile([1, 2, 3, 4], 0.9), quantile([7], 0.9)]).toEqual([2.5, 3.7, 7]);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
