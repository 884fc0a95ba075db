import { OnnxGraph, onnxAttr } from "../onnx/onnx-graph.ts";
import {
  CONTRAST_EPSILON,
  checkVisionSize,
  DARK_PATCH,
  EDGE_SATURATION,
  GRID_COLS,
  GRID_ROWS,
  IMAGE_STATS,
  LUMA,
  VISION_FEATURE_COUNT,
} from "./vision-features.ts";

/** The learned part: `probabilities = sigmoid(features · weightsᵀ + bias)`, one row per class. */
export interface VisionHead {
  classes: readonly string[];
  /** `classes × VISION_FEATURE_COUNT`, row-major, on the raw features (standardisation folded in). */
  weights: Float32Array;
  bias: Float32Array;
}

const ints = onnxAttr.ints;

/**
 * The vision model as ONNX (opset 17): inputs `frames` and `background`, both float32
 * [batch, 3, height, width] in 0..1; outputs `features` [batch, VISION_FEATURE_COUNT] (the same
 * numbers as `visionFeatures`) and, with a head, `probabilities` [batch, classes].
 */
export function visionGraph(width: number, height: number, head?: VisionHead): OnnxGraph {
  checkVisionSize(width, height);
  const dims = ["batch", 3, height, width] as const;
  const g = new OnnxGraph("vision", "Dust plume / haze and surface water: image statistics and a logistic head")
    .input("frames", "float", dims, "RGB 0..1, planar")
    .input("background", "float", dims, "the camera's clean reference, RGB 0..1, planar")
    .initializer("luma", Float32Array.from(LUMA), [1, 3, 1, 1])
    .initializer("warm_kernel", Float32Array.of(1, 0, -1), [1, 3, 1, 1])
    .initializer("mean3_kernel", Float32Array.of(1 / 3, 1 / 3, 1 / 3), [1, 3, 1, 1])
    .initializer("sum2_kernel", Float32Array.of(1, 1), [1, 2, 1, 1])
    .initializer("sobel", Float32Array.of(-1, 0, 1, -2, 0, 2, -1, 0, 1, -1, -2, -1, 0, 0, 0, 1, 2, 1), [2, 1, 3, 3])
    .initializer("edge_pads", BigInt64Array.of(0n, 0n, 1n, 1n, 0n, 0n, 1n, 1n), [8])
    .initializer("zero", Float32Array.of(0), [])
    .initializer("edge_cap", Float32Array.of(EDGE_SATURATION), [])
    .initializer("edge_scale", Float32Array.of(1 / EDGE_SATURATION), [])
    .initializer("contrast_eps", Float32Array.of(CONTRAST_EPSILON), [])
    .initializer("flat", BigInt64Array.of(-1n, BigInt(VISION_FEATURE_COUNT)), [2]);
  const region = {
    kernel_shape: ints([height / GRID_ROWS, width / GRID_COLS]),
    strides: ints([height / GRID_ROWS, width / GRID_COLS]),
  };
  const statsOf = (x: string): string => imageStatNodes(g, x, region, width, height);
  const frameStats = statsOf("frames");
  const backgroundStats = statsOf("background");
  g.node("Sub", ["frames", "background"], ["diff"])
    .node("Abs", ["diff"], ["abs_diff"])
    .node("Conv", ["abs_diff", "mean3_kernel"], ["change_map"])
    .node("AveragePool", ["change_map"], ["change"], region)
    .node("Concat", [frameStats, backgroundStats, "change"], ["stats"], { axis: onnxAttr.int(1) })
    .node("Reshape", ["stats", "flat"], ["features"])
    .output("features", "float", ["batch", VISION_FEATURE_COUNT]);
  if (head !== undefined) {
    const k = head.classes.length;
    g.initializer("head_weights", head.weights, [k, VISION_FEATURE_COUNT])
      .initializer("head_bias", head.bias, [k])
      .node("Gemm", ["features", "head_weights", "head_bias"], ["logits"], { transB: onnxAttr.int(1) })
      .node("Sigmoid", ["logits"], ["probabilities"])
      .output("probabilities", "float", ["batch", k]);
  }
  return g;
}

/** Nodes for the IMAGE_STATS of input `x`; returns the name of their [batch, 6, rows, cols] concatenation. */
function imageStatNodes(
  g: OnnxGraph,
  x: string,
  region: Record<string, ReturnType<typeof ints>>,
  width: number,
  height: number,
): string {
  const v = (name: string) => `${x}_${name}`;
  const pool = (input: string, output: string) => g.node("AveragePool", [input], [v(output)], region);
  const channels = { axes: ints([1]), keepdims: onnxAttr.int(1) };
  g.node("Conv", [x, "luma"], [v("grey")])
    .node("Mul", [v("grey"), v("grey")], [v("grey2")])
    .node("ReduceMax", [x], [v("max_c")], channels)
    .node("ReduceMin", [x], [v("min_c")], channels)
    .node("Sub", [v("max_c"), v("min_c")], [v("sat_map")])
    .node("Conv", [x, "warm_kernel"], [v("warm_map")])
    // Dark channel: a min-pool is a max-pool of the negation.
    .node("Neg", [v("min_c")], [v("neg_min_c")])
    .node("MaxPool", [v("neg_min_c")], [v("neg_patch_min")], {
      kernel_shape: ints([DARK_PATCH, DARK_PATCH]),
      strides: ints([DARK_PATCH, DARK_PATCH]),
    })
    .node("Neg", [v("neg_patch_min")], [v("patch_min")])
    .node("AveragePool", [v("patch_min")], [v("dark")], {
      kernel_shape: ints([height / GRID_ROWS / DARK_PATCH, width / GRID_COLS / DARK_PATCH]),
      strides: ints([height / GRID_ROWS / DARK_PATCH, width / GRID_COLS / DARK_PATCH]),
    })
    .node("Pad", [v("grey"), "edge_pads"], [v("grey_padded")], { mode: onnxAttr.string("edge") })
    .node("Conv", [v("grey_padded"), "sobel"], [v("sobel")])
    .node("Abs", [v("sobel")], [v("sobel_abs")])
    .node("Conv", [v("sobel_abs"), "sum2_kernel"], [v("edge_mag")])
    .node("Clip", [v("edge_mag"), "zero", "edge_cap"], [v("edge_capped")])
    .node("Mul", [v("edge_capped"), "edge_scale"], [v("edge_map")]);
  pool(v("grey"), "brightness");
  pool(v("grey2"), "mean_square");
  pool(v("sat_map"), "saturation");
  pool(v("warm_map"), "warmth");
  pool(v("edge_map"), "edges");
  g.node("Mul", [v("brightness"), v("brightness")], [v("square_mean")])
    .node("Sub", [v("mean_square"), v("square_mean")], [v("variance")])
    .node("Relu", [v("variance")], [v("variance_pos")])
    .node("Add", [v("variance_pos"), "contrast_eps"], [v("variance_eps")])
    .node("Sqrt", [v("variance_eps")], [v("contrast")]);
  const order = IMAGE_STATS.map((s) => v(s));
  g.node("Concat", order, [v("stats")], { axis: onnxAttr.int(1) });
  return v("stats");
}
