import { AnalyticsError } from "./analytics-error.ts";
import { OnnxGraph, onnxAttr } from "./onnx-graph.ts";

export type MlpActivation = "relu" | "sigmoid" | "tanh" | "none";

/** One dense layer: `y = activation(x · weightsᵀ + bias)`. */
export interface MlpLayer {
  /** `outputs × inputs`, row-major: one row per output unit (the layout of PyTorch's Linear). */
  weights: Float32Array;
  /** One per output unit; its length is the layer's width. */
  bias: Float32Array;
  activation: MlpActivation;
}

export interface MlpGraphSpec {
  name: string;
  /** Width of the input rows. */
  inputWidth: number;
  layers: readonly MlpLayer[];
  /** Default "features". */
  inputName?: string;
  /** Default "score". */
  outputName?: string;
  docString?: string;
}

const ACTIVATION_OP: Readonly<Record<Exclude<MlpActivation, "none">, string>> = {
  relu: "Relu",
  sigmoid: "Sigmoid",
  tanh: "Tanh",
};

/**
 * A multilayer perceptron over rows `[batch, inputWidth]`: one Gemm per layer (opset 13+ signature:
 * A, B, optional C; transB = 1 so weights keep their `outputs × inputs` layout), then its activation.
 */
export function mlpGraph(spec: MlpGraphSpec): OnnxGraph {
  const input = spec.inputName ?? "features";
  const output = spec.outputName ?? "score";
  const graph = new OnnxGraph(spec.name, spec.docString).input(input, "float", ["batch", spec.inputWidth]);
  let value = input;
  let width = spec.inputWidth;
  for (const [i, layer] of spec.layers.entries()) {
    const units = layer.bias.length;
    if (layer.weights.length !== units * width) {
      throw new AnalyticsError(
        "ANALYTICS_GRAPH_INVALID",
        `graph ${spec.name}: layer ${i} has ${layer.weights.length} weights, expected ${units} units × ${width} inputs`,
        { graph: spec.name, layer: i, weights: layer.weights.length, units, inputs: width },
      );
    }
    const last = i === spec.layers.length - 1;
    const linear = last && layer.activation === "none" ? output : `layer${i}_linear`;
    graph
      .initializer(`layer${i}_weights`, layer.weights, [units, width])
      .initializer(`layer${i}_bias`, layer.bias, [units])
      .node("Gemm", [value, `layer${i}_weights`, `layer${i}_bias`], [linear], { transB: onnxAttr.int(1) });
    value = linear;
    if (layer.activation !== "none") {
      const activated = last ? output : `layer${i}_out`;
      graph.node(ACTIVATION_OP[layer.activation], [value], [activated]);
      value = activated;
    }
    width = units;
  }
  if (spec.layers.length === 0) graph.node("Identity", [input], [output]);
  return graph.output(output, "float", ["batch", width]);
}
