import { afterAll, describe, expect, it } from "vitest";
import { dustSiteDays } from "../../simulators/src/scenarios/dust-site-days.ts";
import { floodStationDays } from "../../simulators/src/scenarios/flood-station-days.ts";
import { dustForecasterDefinition } from "../src/forecast/dust-forecaster.ts";
import {
  type ExceedanceForecaster,
  forecastProbability,
  trainExceedanceForecaster,
} from "../src/forecast/exceedance-forecaster.ts";
import { floodForecasterDefinition } from "../src/forecast/flood-forecaster.ts";
import { type ForecastGraphPlan, forecastGraphPlan } from "../src/forecast/forecast-graph-plan.ts";
import type { LabelledSeries } from "../src/forecast/labelled-series.ts";
import { seriesWindow } from "../src/forecast/labelled-series.ts";
import { OnnxGraph } from "../src/onnx/onnx-graph.ts";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { OnnxScorer } from "../src/onnx/onnx-scorer.ts";

/** A hand-made model over windows of 4 rows × (a, b), to pin the op sequence. */
const SMALL: ExceedanceForecaster = {
  definition: {
    name: "small",
    description: "",
    inputs: ["a", "b"],
    window: 4,
    stepMs: 60_000,
    horizonMs: 120_000,
    features: [
      { name: "a_mean_4", kind: "stat", stat: { input: "a", reduce: "mean", rows: 4 } },
      {
        name: "b_change",
        kind: "difference",
        stat: { input: "b", reduce: "max", rows: 2 },
        minus: { input: "a", reduce: "mean", rows: 4 },
      },
    ],
  },
  featureMean: [1, 2],
  featureScale: [2, 4],
  weights: [0.5, -1],
  bias: 0.25,
  threshold: 0.5,
  training: { rows: 0, positives: 0, iterations: 0, detectionRate: 0, falseAlarmsPerDeviceDay: 0 },
};

function onnxBytes(plan: ForecastGraphPlan): Uint8Array {
  const graph = new OnnxGraph(plan.name).input(plan.input.name, plan.input.elemType, plan.input.dims);
  for (const t of plan.initializers) {
    const data = t.elemType === "float" ? Float32Array.from(t.data) : BigInt64Array.from(t.data, (v) => BigInt(v));
    graph.initializer(t.name, data, t.dims);
  }
  for (const n of plan.nodes) graph.node(n.opType, n.inputs, n.outputs, n.attributes);
  for (const o of plan.outputs) graph.output(o.name, o.elemType, o.dims);
  return encodeModel(graph);
}

const scorers: OnnxScorer[] = [];
afterAll(async () => {
  for (const s of scorers) await s.release();
});

/** Scores `windows` (each row-major) in onnxruntime and by the TypeScript reference. */
async function bothWays(model: ExceedanceForecaster, windows: readonly Float64Array[]) {
  const scorer = await OnnxScorer.load(onnxBytes(forecastGraphPlan(model)));
  scorers.push(scorer);
  const { window, inputs } = model.definition;
  const batch = new Float32Array(windows.length * window * inputs.length);
  for (const [k, w] of windows.entries()) batch.set(w, k * w.length);
  const out = await scorer.run({ input: { data: batch, dims: [windows.length, window, inputs.length] } });
  return {
    onnx: [...(out.score?.data ?? [])] as number[],
    pred: [...(out.pred?.data ?? [])] as number[],
    dims: [out.score?.dims, out.pred?.dims, out.pred?.type],
    // The graph sees the float32 window, so the reference gets the same values.
    reference: windows.map((w) => forecastProbability(model, Float32Array.from(w))),
  };
}

describe("forecastGraphPlan", () => {
  it("is a Slice and a Reduce per distinct statistic, a Sub per difference, then the logistic model", () => {
    const plan = forecastGraphPlan(SMALL);
    expect(plan.nodes.map((n) => `${n.opType}(${n.inputs.join(",")})->${n.outputs.join(",")}`)).toEqual([
      "Slice(input,stat0_starts,stat0_ends,slice_axes)->stat0_rows",
      "ReduceMean(stat0_rows)->stat0",
      "Slice(input,stat1_starts,stat1_ends,slice_axes)->stat1_rows",
      "ReduceMax(stat1_rows)->stat1",
      "Sub(stat1,stat0)->feature1", // a_mean_4 is reused, not sliced twice
      "Concat(stat0,feature1)->features",
      "Sub(features,feature_mean)->centred",
      "Div(centred,feature_scale)->standardised",
      "MatMul(standardised,weights)->weighted",
      "Add(weighted,bias)->logit",
      "Sigmoid(logit)->score",
      "Greater(score,threshold)->alarm",
      "Cast(alarm)->pred",
    ]);
    expect(plan.initializers.slice(0, 5)).toEqual([
      { name: "slice_axes", elemType: "int64", data: [1, 2], dims: [2] },
      { name: "stat0_starts", elemType: "int64", data: [0, 0], dims: [2] },
      { name: "stat0_ends", elemType: "int64", data: [4, 1], dims: [2] },
      { name: "stat1_starts", elemType: "int64", data: [2, 1], dims: [2] },
      { name: "stat1_ends", elemType: "int64", data: [4, 2], dims: [2] },
    ]);
    expect(plan.input.dims).toEqual(["batch", 4, 2]);
  });

  it("runs in onnxruntime (opset 17) to the reference's probability and decision", async () => {
    // a = 1, 2, 3, 10 and b = 5, 4, 3, 2: features 4 and max(3, 2) − 4 = −1; logit 0.25 + 0.5·1.5 − 1·(−0.75) = 1.75.
    const windows = [Float64Array.from([1, 5, 2, 4, 3, 3, 10, 2]), Float64Array.from([0, 0, 0, 0, 0, 9, 0, 9])];
    const { onnx, pred, dims, reference } = await bothWays(SMALL, windows);
    expect(reference[0]).toBeCloseTo(1 / (1 + Math.exp(-1.75)), 12);
    expect(onnx[0]).toBeCloseTo(reference[0] as number, 6);
    expect(onnx[1]).toBeCloseTo(reference[1] as number, 6);
    expect(pred).toEqual(reference.map((p) => (p > 0.5 ? 1 : 0)));
    expect(dims).toEqual([[2, 1], [2, 1], "float32"]);
  });

  it("gives the trained dust and flood forecasters' probabilities to 1e-5 in onnxruntime", async () => {
    const dust = dustSiteDays({ seed: 31, days: 4, devices: 2 }).devices;
    const flood = [floodStationDays({ seed: 31, days: 30 })];
    for (const [definition, series] of [
      [dustForecasterDefinition, dust],
      [floodForecasterDefinition, flood],
    ] as const) {
      const model = trainExceedanceForecaster(definition, series as readonly LabelledSeries[]);
      const s = series[0] as LabelledSeries;
      // Every 97th row of the first device: calm hours, episodes and the rows around them.
      const windows: Float64Array[] = [];
      for (let end = definition.window - 1; end < s.timestamps.length; end += 97) {
        const w = new Float64Array(definition.window * definition.inputs.length);
        seriesWindow(definition, s, end, w);
        windows.push(w);
      }
      const { onnx, pred, reference } = await bothWays(model, windows);
      const worst = Math.max(...onnx.map((p, k) => Math.abs(p - (reference[k] as number))));
      expect([definition.name, windows.length, worst < 1e-5]).toEqual([definition.name, windows.length, true]);
      const disagreements = pred.filter((p, k) => p !== ((reference[k] as number) > model.threshold ? 1 : 0));
      expect(disagreements).toEqual([]);
    }
  });
});
