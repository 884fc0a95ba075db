import { describe, expect, it } from "vitest";
import { columnMoments, scaledCovariance } from "../src/linalg/column-moments.ts";
import { symmetricEigen } from "../src/linalg/symmetric-eigen.ts";

describe("symmetricEigen", () => {
  it("decomposes a 2×2 matrix exactly", () => {
    // [[2, 1], [1, 2]]: eigenvalues 3 (along (1, 1)/√2) and 1 (along (1, −1)/√2).
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(vectors[0]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[2]).toBeCloseTo(Math.SQRT1_2, 14);
    // Sign rule: the largest-magnitude entry of each eigenvector is positive.
    expect(Math.abs(vectors[1] as number)).toBeCloseTo(Math.SQRT1_2, 14);
    expect((vectors[1] as number) + (vectors[3] as number)).toBeCloseTo(0, 14);
  });

  it("reconstructs a random 30×30 covariance to 1e-12 and sorts the eigenvalues", () => {
    const n = 30;
    let state = 3;
    const next = () => {
      state = (state * 16807) % 2147483647;
      return state / 2147483647 - 0.5;
    };
    const b = Float64Array.from({ length: n * n }, next);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += (b[i * n + k] as number) * (b[j * n + k] as number);
        a[i * n + j] = sum;
      }
    }
    const { values, vectors } = symmetricEigen(a, n);
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++)
          sum += (vectors[i * n + k] as number) * (values[k] as number) * (vectors[j * n + k] as number);
        worst = Math.max(worst, Math.abs(sum - (a[i * n + j] as number)));
      }
    }
    expect(worst).toBeLessThan(1e-12);
    expect(Array.from(values)).toEqual(Array.from(values).sort((x, y) => y - x));
    expect(symmetricEigen(a, n)).toEqual({ values, vectors });
  });

  it("refuses a matrix of the wrong size", () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow("matrix has 5 entries, expected 2×2");
  });
});

describe("columnMoments and scaledCovariance", () => {
  it("computes population moments and the covariance of the scaled columns", () => {
    const rows = [Float64Array.of(1, 10, 5), Float64Array.of(3, 14, 5)];
    const moments = columnMoments(rows, 3);
    expect(Array.from(moments.mean)).toEqual([2, 12, 5]);
    expect(Array.from(moments.sd)).toEqual([1, 2, 0]);
    expect(Array.from(moments.min)).toEqual([1, 10, 5]);
    expect(Array.from(moments.max)).toEqual([3, 14, 5]);
    const cov = scaledCovariance(rows, moments.mean, Float64Array.of(1, 0.5, 0));
    expect(Array.from(cov)).toEqual([1, 1, 0, 1, 1, 0, 0, 0, 0]);
    expect(() => columnMoments([], 3)).toThrow(RangeError);
  });
});
