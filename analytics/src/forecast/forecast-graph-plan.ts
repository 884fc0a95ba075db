import type { ExceedanceForecaster } from "./exceedance-forecaster.ts";
import { statRows, type WindowStat } from "./window-features.ts";

/** Attribute values in the shape `onnxAttr.int` / `onnxAttr.ints` of onnx/onnx-graph.ts build. */
export type ForecastPlanAttribute = { kind: "int"; value: number } | { kind: "ints"; value: number[] };

export interface ForecastPlanInitializer {
  name: string;
  elemType: "float" | "int64";
  data: number[];
  dims: number[];
}

export interface ForecastPlanNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, ForecastPlanAttribute>;
}

export interface ForecastPlanValue {
  name: string;
  elemType: "float" | "bool";
  dims: Array<number | string>;
}

/**
 * The scoring of a forecaster as ONNX (default domain, opset 17) operations, in topological order —
 * the exact computation `forecastProbability` is the reference of:
 *
 *   input [batch, window, inputs] float
 *   per distinct statistic j: Slice(input, starts=[from, column], ends=[to, column + 1], axes=[1, 2])
 *     → [batch, rows, 1]; ReduceMean | ReduceMax | ReduceMin (axes=[1], keepdims=0) → stat_j [batch, 1]
 *   per feature k: stat_j, or Sub(stat_a, stat_b) for a difference → feature_k [batch, 1]
 *   Concat(feature_0 …, axis=1) → features [batch, F]
 *   Sub(features, feature_mean [F]) → Div(·, feature_scale [F]) → MatMul(·, weights [F, 1])
 *     → Add(·, bias [1]) → Sigmoid → score [batch, 1] float
 *   Greater(score, threshold [1]) → Cast(to=FLOAT) → pred [batch, 1] float 0/1
 *
 * In opset 17 Slice takes starts/ends/axes as int64 inputs, while ReduceMean/Max/Min take `axes` as an
 * attribute (it became an input in opset 18). The graph computes in float32, the reference in float64:
 * given the same float32 window, probabilities agree to about 1e-6. A float32 input itself rounds a
 * large running total (rainfall_total near 1000 mm: 6e-5 mm), which moves them by up to about 5e-5.
 */
export interface ForecastGraphPlan {
  name: string;
  input: ForecastPlanValue;
  initializers: ForecastPlanInitializer[];
  nodes: ForecastPlanNode[];
  outputs: ForecastPlanValue[];
}

const REDUCE_OP = { mean: "ReduceMean", max: "ReduceMax", min: "ReduceMin" } as const;

export function forecastGraphPlan(model: ExceedanceForecaster): ForecastGraphPlan {
  const { definition } = model;
  const width = definition.features.length;
  const initializers: ForecastPlanInitializer[] = [{ name: "slice_axes", elemType: "int64", data: [1, 2], dims: [2] }];
  const nodes: ForecastPlanNode[] = [];
  const statValues = new Map<string, string>();
  const statValue = (stat: WindowStat): string => {
    const key = `${stat.reduce}:${stat.input}:${stat.rows}:${stat.skip ?? 0}`;
    const known = statValues.get(key);
    if (known !== undefined) return known;
    const j = statValues.size;
    const column = definition.inputs.indexOf(stat.input);
    const { from, to } = statRows(stat, definition.window);
    initializers.push(
      { name: `stat${j}_starts`, elemType: "int64", data: [from, column], dims: [2] },
      { name: `stat${j}_ends`, elemType: "int64", data: [to, column + 1], dims: [2] },
    );
    nodes.push(
      node("Slice", ["input", `stat${j}_starts`, `stat${j}_ends`, "slice_axes"], [`stat${j}_rows`]),
      node(REDUCE_OP[stat.reduce], [`stat${j}_rows`], [`stat${j}`], {
        axes: { kind: "ints", value: [1] },
        keepdims: { kind: "int", value: 0 },
      }),
    );
    statValues.set(key, `stat${j}`);
    return `stat${j}`;
  };
  const features = definition.features.map((f, k) => {
    const a = statValue(f.stat);
    if (f.kind === "stat") return a;
    const b = statValue(f.minus);
    nodes.push(node("Sub", [a, b], [`feature${k}`]));
    return `feature${k}`;
  });
  initializers.push(
    { name: "feature_mean", elemType: "float", data: [...model.featureMean], dims: [width] },
    { name: "feature_scale", elemType: "float", data: [...model.featureScale], dims: [width] },
    { name: "weights", elemType: "float", data: [...model.weights], dims: [width, 1] },
    { name: "bias", elemType: "float", data: [model.bias], dims: [1] },
    { name: "threshold", elemType: "float", data: [model.threshold], dims: [1] },
  );
  nodes.push(
    node("Concat", features, ["features"], { axis: { kind: "int", value: 1 } }),
    node("Sub", ["features", "feature_mean"], ["centred"]),
    node("Div", ["centred", "feature_scale"], ["standardised"]),
    node("MatMul", ["standardised", "weights"], ["weighted"]),
    node("Add", ["weighted", "bias"], ["logit"]),
    node("Sigmoid", ["logit"], ["score"]),
    node("Greater", ["score", "threshold"], ["alarm"]),
    node("Cast", ["alarm"], ["pred"], { to: { kind: "int", value: 1 } }), // TensorProto FLOAT
  );
  return {
    name: definition.name,
    input: { name: "input", elemType: "float", dims: ["batch", definition.window, definition.inputs.length] },
    initializers,
    nodes,
    outputs: [
      { name: "score", elemType: "float", dims: ["batch", 1] },
      { name: "pred", elemType: "float", dims: ["batch", 1] },
    ],
  };
}

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, ForecastPlanAttribute> = {},
): ForecastPlanNode {
  return { opType, inputs, outputs, attributes };
}
