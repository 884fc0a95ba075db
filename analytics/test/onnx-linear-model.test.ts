import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OnnxGraph } from "../src/onnx/onnx-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { OnnxScorer } from "../src/onnx/onnx-scorer.ts";

// A standardize-then-linear model, y = ((x − mean) / std) · w + b, against the same arithmetic in TypeScript.
const MEAN = Float32Array.of(10, -2, 0.5, 100);
const STD = Float32Array.of(2, 0.5, 1.5, 25);
const W = Float32Array.of(0.3, -1.2, 0.8, 0.05);
const B = Float32Array.of(0.7);
const WIDTH = 4;

function linearGraph(): OnnxGraph {
  return new OnnxGraph("linear")
    .input("x", "float", ["batch", WIDTH])
    .initializer("mean", MEAN, [WIDTH])
    .initializer("std", STD, [WIDTH])
    .initializer("w", W, [WIDTH, 1])
    .initializer("b", B, [1])
    .node("Sub", ["x", "mean"], ["centered"])
    .node("Div", ["centered", "std"], ["z"])
    .node("MatMul", ["z", "w"], ["zw"])
    .node("Add", ["zw", "b"], ["y"])
    .output("y", "float", ["batch", 1]);
}

/** Deterministic rows around the means (no randomness needed): a sine per feature. */
function rows(count: number): Float32Array {
  const out = new Float32Array(count * WIDTH);
  for (let r = 0; r < count; r++) {
    for (let f = 0; f < WIDTH; f++) {
      out[r * WIDTH + f] = (MEAN[f] as number) + (STD[f] as number) * 2 * Math.sin(r * 0.9 + f * 1.7);
    }
  }
  return out;
}

function reference(x: Float32Array, count: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < count; r++) {
    let sum = B[0] as number;
    for (let f = 0; f < WIDTH; f++) {
      const z = ((x[r * WIDTH + f] as number) - (MEAN[f] as number)) / (STD[f] as number);
      sum += z * (W[f] as number);
    }
    y.push(sum);
  }
  return y;
}

/** Indices where |actual − expected| > 1e-5 · max(1, |expected|); [] when all agree. */
function farFrom(actual: ArrayLike<number>, expected: readonly number[]): number[] {
  expect(actual.length).toBe(expected.length);
  return expected.flatMap((e, i) => (Math.abs((actual[i] as number) - e) > 1e-5 * Math.max(1, Math.abs(e)) ? [i] : []));
}

describe("standardize + linear model (Sub, Div, MatMul, Add)", () => {
  let scorer: OnnxScorer;
  beforeAll(async () => {
    scorer = await OnnxScorer.load(encodeModel(linearGraph()));
  });
  afterAll(async () => {
    await scorer.release();
  });

  it("declares its input and output with the symbolic batch dimension", () => {
    expect(scorer.inputs).toEqual([{ name: "x", type: "float32", shape: ["batch", 4] }]);
    expect(scorer.outputs).toEqual([{ name: "y", type: "float32", shape: ["batch", 1] }]);
  });

  it("scores a batch of 5 rows as the TypeScript reference does", async () => {
    const x = rows(5);
    const out = await scorer.run({ x: { data: x, dims: [5, WIDTH] } });
    expect(Object.keys(out)).toEqual(["y"]);
    expect(out.y?.type).toBe("float32");
    expect(out.y?.dims).toEqual([5, 1]);
    expect(farFrom(out.y?.data as Float32Array, reference(x, 5))).toEqual([]);
  });

  it("scores the row at the means as the bias exactly", async () => {
    const out = await scorer.scoreBatch("x", MEAN, 1, WIDTH);
    expect([...out]).toEqual([Math.fround(0.7)]);
  });

  it("scoreBatch reads only rowCount rows of a longer, reused buffer", async () => {
    const buffer = rows(64);
    const scores = await scorer.scoreBatch("x", buffer, 3, WIDTH);
    expect(scores.length).toBe(3);
    expect(farFrom(scores, reference(buffer, 3))).toEqual([]);
  });
});
