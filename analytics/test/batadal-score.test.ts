import { describe, expect, it } from "vitest";
import { attackRuns, scoreBatadal } from "../src/batadal/batadal-score.ts";

describe("attackRuns", () => {
  it("finds maximal runs of 1, with -999 and 0 outside", () => {
    expect(attackRuns([0, 1, 1, -999, 1, 0, 0, 1])).toEqual([
      { start: 1, end: 3 },
      { start: 4, end: 5 },
      { start: 7, end: 8 },
    ]);
    expect(attackRuns([-999, 0])).toEqual([]);
  });
});

describe("scoreBatadal", () => {
  it("scores a hand example", () => {
    // Two attacks: hours 2–5 (Δt 4) found at hour 3 (TTD 1), hours 8–9 (Δt 2) never found (TTD 2).
    const labels = [0, -999, 1, 1, 1, 1, 0, 0, 1, 1];
    const predictions = [0, 1, 0, 1, 1, 0, 0, 0, 0, 0];
    const score = scoreBatadal(labels, predictions);
    // S_TTD = 1 − (1/2)(1/4 + 2/2) = 0.375
    expect(score.sTtd).toBe(0.375);
    // TP 2, FN 4 → TPR 1/3; FP 1, TN 3 → TNR 3/4; S_CLS = (1/3 + 3/4)/2 = 13/24
    expect([score.truePositives, score.falseNegatives, score.falsePositives, score.trueNegatives]).toEqual([
      2, 4, 1, 3,
    ]);
    expect(score.tpr).toBe(1 / 3);
    expect(score.tnr).toBe(0.75);
    expect(score.sCls).toBeCloseTo(13 / 24, 15);
    expect(score.s).toBeCloseTo(0.5 * 0.375 + 0.5 * (13 / 24), 15);
    expect(score.attacks).toEqual([
      { start: 2, end: 6, ttdHours: 1, detected: true },
      { start: 8, end: 10, ttdHours: 2, detected: false },
    ]);
  });

  it("gives 1 to a perfect detector and ignores alarms before an attack for TTD", () => {
    expect(scoreBatadal([0, 1, 1, 0], [0, 1, 1, 0]).s).toBe(1);
    // The alarm at hour 0 is a false positive; the attack (hours 1–3) is found at hour 3: TTD 2 of 3.
    const early = scoreBatadal([0, 1, 1, 1], [1, 0, 0, 1]);
    expect(early.sTtd).toBeCloseTo(1 / 3, 15);
    expect(early.tnr).toBe(0);
  });

  it("is NaN without attacks, and refuses arrays of different lengths", () => {
    const none = scoreBatadal([0, 0], [0, 1]);
    expect(none.sTtd).toBeNaN();
    expect(none.tnr).toBe(0.5);
    expect(none.s).toBeNaN();
    expect(() => scoreBatadal([0, 1], [0])).toThrow(RangeError);
  });
});
