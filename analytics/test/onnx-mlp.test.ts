import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalyticsError } from "../src/onnx/analytics-error.ts";
import { type MlpLayer, mlpGraph } from "../src/onnx/mlp-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { OnnxScorer } from "../src/onnx/onnx-scorer.ts";

// A 16 → 32 → 16 → 1 perceptron (Gemm, Relu, Sigmoid) scored at batch 32 against TypeScript arithmetic.
const WIDTHS = [16, 32, 16, 1] as const;
const BATCH = 32;

/** Deterministic weights of mixed sign and size (no randomness needed). */
function filled(length: number, seed: number, scale: number): Float32Array {
  return Float32Array.from({ length }, (_, i) => scale * Math.sin(seed * 7.31 + i * 1.618));
}

function layers(): MlpLayer[] {
  return WIDTHS.slice(1).map((units, i) => ({
    weights: filled(units * (WIDTHS[i] as number), i + 1, 0.4),
    bias: filled(units, i + 11, 0.1),
    activation: i === WIDTHS.length - 2 ? "sigmoid" : "relu",
  }));
}

function reference(spec: MlpLayer[], x: Float32Array, rows: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let v = Array.from(x.subarray(r * 16, r * 16 + 16));
    for (const layer of spec) {
      const units = layer.bias.length;
      v = Array.from({ length: units }, (_, u) => {
        let s = layer.bias[u] as number;
        for (const [k, xk] of v.entries()) s += (layer.weights[u * v.length + k] as number) * xk;
        return layer.activation === "relu" ? Math.max(0, s) : 1 / (1 + Math.exp(-s));
      });
    }
    out.push(...v);
  }
  return out;
}

function farFrom(actual: ArrayLike<number>, expected: readonly number[]): number[] {
  expect(actual.length).toBe(expected.length);
  return expected.flatMap((e, i) => (Math.abs((actual[i] as number) - e) > 1e-5 * Math.max(1, Math.abs(e)) ? [i] : []));
}

describe("MLP (Gemm, Relu, Sigmoid)", () => {
  const spec = layers();
  let scorer: OnnxScorer;
  beforeAll(async () => {
    scorer = await OnnxScorer.load(encodeModel(mlpGraph({ name: "mlp", inputWidth: 16, layers: spec })));
  });
  afterAll(async () => {
    await scorer.release();
  });

  it("builds Gemm then its activation per layer, ending in the named output", () => {
    const graph = mlpGraph({ name: "mlp", inputWidth: 16, layers: spec });
    expect(graph.nodes.map((n) => `${n.opType}:${n.inputs.join(",")}->${n.outputs.join(",")}`)).toEqual([
      "Gemm:features,layer0_weights,layer0_bias->layer0_linear",
      "Relu:layer0_linear->layer0_out",
      "Gemm:layer0_out,layer1_weights,layer1_bias->layer1_linear",
      "Relu:layer1_linear->layer1_out",
      "Gemm:layer1_out,layer2_weights,layer2_bias->layer2_linear",
      "Sigmoid:layer2_linear->score",
    ]);
    expect(graph.initializers.map((t) => `${t.name}:${t.dims.join("x")}`)).toEqual([
      "layer0_weights:32x16",
      "layer0_bias:32",
      "layer1_weights:16x32",
      "layer1_bias:16",
      "layer2_weights:1x16",
      "layer2_bias:1",
    ]);
  });

  it("scores a batch of 32 rows as the TypeScript reference does", async () => {
    const x = filled(BATCH * 16, 99, 2);
    const scores = await scorer.scoreBatch("features", x, BATCH, 16);
    const expected = reference(spec, x, BATCH);
    expect(farFrom(scores, expected)).toEqual([]);
    // Some rows on each side of 0.5, so both the ReLUs and the sigmoid are exercised.
    expect(expected.filter((s) => s > 0.5).length).toBeGreaterThan(0);
    expect(expected.filter((s) => s < 0.5).length).toBeGreaterThan(0);
  });

  it("gives each row the score it gets alone (rows in a batch do not interact)", async () => {
    const x = filled(BATCH * 16, 99, 2);
    const batch = await scorer.scoreBatch("features", x, BATCH, 16);
    const row7 = await scorer.scoreBatch("features", x.subarray(7 * 16), 1, 16);
    expect(farFrom(row7, [batch[7] as number])).toEqual([]);
  });

  it("refuses a layer whose weights do not match the widths", () => {
    const broken = [{ weights: new Float32Array(15), bias: new Float32Array(1), activation: "none" as const }];
    expect(() => mlpGraph({ name: "broken", inputWidth: 16, layers: broken })).toThrow(
      new AnalyticsError(
        "ANALYTICS_GRAPH_INVALID",
        "graph broken: layer 0 has 15 weights, expected 1 units × 16 inputs",
        {
          graph: "broken",
          layer: 0,
          weights: 15,
          units: 1,
          inputs: 16,
        },
      ),
    );
  });
});
