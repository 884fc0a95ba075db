import { describe, expect, it } from "vitest";
import { fitLogisticRegression, logisticProbability, sigmoid } from "../src/forecast/logistic-regression.ts";

/** A seeded uniform generator (mulberry32), so the synthetic data is the same on every run. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 20 000 rows from P(y = 1) = sigmoid(−1 + 2·x1 − x2), x uniform in [−2, 2]. */
function synthetic() {
  const r = uniform(42);
  const rows = 20_000;
  const x = new Float64Array(rows * 2);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const x1 = 4 * r() - 2;
    const x2 = 4 * r() - 2;
    x[2 * i] = x1;
    x[2 * i + 1] = x2;
    y[i] = r() < sigmoid(-1 + 2 * x1 - x2) ? 1 : 0;
  }
  return { x, y };
}

describe("fitLogisticRegression", () => {
  it("recovers the model the data came from", () => {
    const { x, y } = synthetic();
    const fit = fitLogisticRegression(x, y, 2);
    // Back on the raw scale: w_raw = w / scale, b_raw = b − Σ w_raw·mean.
    const raw = fit.weights.map((w, j) => w / (fit.scale[j] as number));
    const intercept = fit.bias - raw.reduce((s, w, j) => s + w * (fit.mean[j] as number), 0);
    expect(Math.abs(intercept - -1)).toBeLessThan(0.06);
    expect(Math.abs((raw[0] as number) - 2)).toBeLessThan(0.06);
    expect(Math.abs((raw[1] as number) - -1)).toBeLessThan(0.06);
    expect(fit.iterations).toBeLessThan(12);
    for (const [x1, x2] of [
      [0, 0],
      [1, -1],
      [-1.5, 0.5],
    ] as const) {
      expect(Math.abs(logisticProbability(fit, [x1, x2]) - sigmoid(-1 + 2 * x1 - x2))).toBeLessThan(0.02);
    }
  });

  it("gives bit-identical coefficients for the same rows", () => {
    const { x, y } = synthetic();
    expect(fitLogisticRegression(x, y, 2)).toEqual(fitLogisticRegression(x, y, 2));
  });

  it("fits the base rate when the features say nothing: bias = log(1/3) for one positive in four", () => {
    const fit = fitLogisticRegression(Float64Array.from([5, 5, 5, 5]), [1, 0, 0, 0], 1);
    expect(fit.mean).toEqual([5]);
    expect(fit.scale).toEqual([1]); // a constant feature keeps scale 1 instead of dividing by 0
    expect(fit.weights).toEqual([0]);
    expect(fit.bias).toBeCloseTo(Math.log(1 / 3), 9);
  });

  it("keeps separable data finite through the penalty, symmetric data centred on its middle", () => {
    const fit = fitLogisticRegression(Float64Array.from([0, 1, 2, 3]), [0, 0, 1, 1], 1, { l2: 0.1 });
    expect(Number.isFinite(fit.weights[0])).toBe(true);
    expect(fit.bias).toBeCloseTo(0, 12);
    expect(logisticProbability(fit, [1.5])).toBeCloseTo(0.5, 12);
    expect(logisticProbability(fit, [3])).toBeGreaterThan(0.9);
  });

  it("refuses rows that do not match the width", () => {
    expect(() => fitLogisticRegression(Float64Array.from([1, 2, 3]), [0, 1], 2)).toThrow(
      "x holds 3 values, 2 rows × 2 need 4",
    );
  });
});
