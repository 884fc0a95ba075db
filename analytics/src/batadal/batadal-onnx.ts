import { OnnxGraph, onnxAttr } from "../onnx/onnx-graph.ts";
import { encodeModel } from "../onnx/onnx-model-encoder.ts";
import type { OnnxScorer } from "../onnx/onnx-scorer.ts";
import { MODEL_SPEC_KEY, type ModelSpecInput } from "../serving/model-spec.ts";
import { BATADAL_SENSORS } from "./batadal-csv.ts";
import { type BatadalModel, batadalModelHash } from "./batadal-model.ts";
import { BATADAL_FEATURE_COUNT, trailingWindow } from "./feature-window.ts";

const SENSORS = BATADAL_SENSORS.length;
const F = BATADAL_FEATURE_COUNT;

/**
 * The C-Town detector as ONNX (opset 17), the same computation as `scoreWindow`: readings rounded
 * as the feature function rounds them, the hour and its change from the hour before, Mahalanobis
 * distance of the standardized features plus the weighted out-of-range distance, log(1 + ·) per
 * step, mean over the window's steps, and `pred` = score > threshold. The window axis stays
 * symbolic, so the first hours of a file (fewer rows than the window) run through the same graph.
 */
export function batadalGraph(m: BatadalModel): OnnxGraph {
  return (
    new OnnxGraph("batadal", "C-Town attack detector (BATADAL), Lifeline")
      .input("readings", "float", ["batch", "window", SENSORS])
      .initializer("steps", Float32Array.of(10 ** m.featureSpec.decimals), [])
      .initializer("one_start", BigInt64Array.of(1n), [1])
      .initializer("zero_start", BigInt64Array.of(0n), [1])
      .initializer("end_max", BigInt64Array.of(9_223_372_036_854_775_807n), [1])
      .initializer("end_last", BigInt64Array.of(-1n), [1])
      .initializer("axis1", BigInt64Array.of(1n), [1])
      .initializer("axis2", BigInt64Array.of(2n), [1])
      .initializer("center", m.center, [F])
      .initializer("scale", m.scale, [F])
      .initializer("whitening", m.whitening, [F, F])
      .initializer("lower", m.lower, [F])
      .initializer("upper", m.upper, [F])
      .initializer("range_scale", m.rangeScale, [F])
      .initializer("range_weight", Float32Array.of(m.rangeWeight), [])
      .initializer("one", Float32Array.of(1), [])
      .initializer("threshold", Float32Array.of(m.threshold), [])
      // Round is half to even (ONNX Round, opset 11), as quantizeReading rounds in float32.
      .node("Mul", ["readings", "steps"], ["scaled"])
      .node("Round", ["scaled"], ["rounded"])
      .node("Div", ["rounded", "steps"], ["q"])
      .node("Slice", ["q", "one_start", "end_max", "axis1"], ["qcur"])
      .node("Slice", ["q", "zero_start", "end_last", "axis1"], ["qprev"])
      .node("Sub", ["qcur", "qprev"], ["delta"])
      .node("Concat", ["qcur", "delta"], ["fe"], { axis: onnxAttr.int(2) })
      .node("Sub", ["fe", "center"], ["centered"])
      .node("Mul", ["centered", "scale"], ["z"])
      .node("MatMul", ["z", "whitening"], ["y"])
      .node("Mul", ["y", "y"], ["y2"])
      // opset 17: ReduceSum takes its axes as an input, ReduceMean as an attribute.
      .node("ReduceSum", ["y2", "axis2"], ["d2"], { keepdims: onnxAttr.int(0) })
      .node("Sub", ["fe", "upper"], ["above"])
      .node("Relu", ["above"], ["above_r"])
      .node("Sub", ["lower", "fe"], ["below"])
      .node("Relu", ["below"], ["below_r"])
      .node("Add", ["above_r", "below_r"], ["beyond"])
      .node("Mul", ["beyond", "range_scale"], ["e"])
      .node("Mul", ["e", "e"], ["e2"])
      .node("ReduceSum", ["e2", "axis2"], ["v"], { keepdims: onnxAttr.int(0) })
      .node("Mul", ["v", "range_weight"], ["vw"])
      .node("Add", ["d2", "vw"], ["u"])
      .node("Add", ["u", "one"], ["u1"])
      .node("Log", ["u1"], ["s"])
      .node("ReduceMean", ["s"], ["score"], { axes: onnxAttr.ints([1]), keepdims: onnxAttr.int(0) })
      .node("Greater", ["score", "threshold"], ["alarm"])
      .node("Cast", ["alarm"], ["pred"], { to: onnxAttr.int(1) })
      .output("score", "float", ["batch"])
      .output("pred", "float", ["batch"])
  );
}

export interface BatadalExport {
  site: string;
  trainingDataSha256: string;
  metrics: Readonly<Record<string, number>>;
}

/** The model file: the graph, the serving spec (one device's 43 SCADA tags per hour) and the figures. */
export function batadalOnnx(m: BatadalModel, exp: BatadalExport): Uint8Array {
  const spec: ModelSpecInput = {
    format: 1,
    name: "batadal",
    site: exp.site,
    device: "*",
    inputs: [...BATADAL_SENSORS],
    window: m.windowRows,
    maxRowGapMs: 2 * 3_600_000,
    input: "readings",
    score: "score",
    pred: "pred",
  };
  const metadata: Record<string, string> = {
    [MODEL_SPEC_KEY]: JSON.stringify(spec),
    "lifeline.kind": "anomaly-detector",
    "lifeline.threshold": String(m.threshold),
    "lifeline.smoothing_hours": String(m.smoothingHours),
    "lifeline.feature_decimals": String(m.featureSpec.decimals),
    "lifeline.training_data_sha256": exp.trainingDataSha256,
    "lifeline.parameters_sha256": batadalModelHash(m),
  };
  for (const [k, v] of Object.entries(exp.metrics)) metadata[`metric.${k}`] = String(v);
  return encodeModel(batadalGraph(m), { docString: "BATADAL C-Town attack detector", metadata });
}

/**
 * Scores every row of an hourly series through onnxruntime, as `scoreRows` does in TypeScript:
 * row 0 has no hour before it (NaN, no alarm); rows with a full window go in one batch, the first
 * hours of the series one by one with the rows they have.
 */
export async function scoreRowsOnnx(
  scorer: OnnxScorer,
  windowRows: number,
  readings: readonly ArrayLike<number>[],
): Promise<{ scores: Float64Array; predictions: Uint8Array }> {
  const n = readings.length;
  const scores = new Float64Array(n).fill(Number.NaN);
  const predictions = new Uint8Array(n);
  const run = async (rows: number[], size: number) => {
    if (rows.length === 0) return;
    const data = new Float32Array(rows.length * size * SENSORS);
    rows.forEach((t, b) => {
      trailingWindow(readings, t, size).forEach((r, i) => {
        data.set(Array.from(r), (b * size + i) * SENSORS);
      });
    });
    const out = await scorer.run({ readings: { data, dims: [rows.length, size, SENSORS] } });
    rows.forEach((t, b) => {
      scores[t] = Number(out.score?.data[b]);
      predictions[t] = Number(out.pred?.data[b]) === 1 ? 1 : 0;
    });
  };
  for (let t = 1; t < Math.min(windowRows - 1, n); t++) await run([t], t + 1);
  const full: number[] = [];
  for (let t = windowRows - 1; t < n; t++) if (t > 0) full.push(t);
  for (let i = 0; i < full.length; i += 2048) await run(full.slice(i, i + 2048), windowRows);
  return { scores, predictions };
}
