import { OnnxGraph, onnxAttr } from "../onnx/onnx-graph.ts";
import { encodeModel } from "../onnx/onnx-model-encoder.ts";
import type { OnnxScorer } from "../onnx/onnx-scorer.ts";
import { MODEL_SPEC_KEY, type ModelSpecInput } from "../serving/model-spec.ts";
import { BATADAL_SENSORS, type BatadalSensor } from "./batadal-csv.ts";
import { type BatadalModel, batadalModelHash } from "./batadal-model.ts";
import { BATADAL_FEATURE_COUNT, trailingWindow } from "./feature-window.ts";

const SENSORS = BATADAL_SENSORS.length;
const F = BATADAL_FEATURE_COUNT;

/**
 * The C-Town detector as ONNX (opset 17), the same computation as `scoreWindow` (see the sketch in
 * batadal-detector.ts): readings rounded as the feature function rounds them; for each of the last k rows the hour
 * and its change from the hour before, Mahalanobis distance of the standardized features plus the weighted
 * out-of-range distance plus the weighted control term; log(1 + ·) per step, mean over the steps, and `pred` =
 * score > threshold. The window axis stays symbolic, so the first hours of a file (fewer rows than the window) run
 * through the same graph.
 */
export function batadalGraph(m: BatadalModel): OnnxGraph {
  const graph = new OnnxGraph("batadal", "C-Town attack detector (BATADAL), Lifeline")
    .input("readings", "float", ["batch", "window", SENSORS])
    .initializer("steps", Float32Array.of(10 ** m.featureSpec.decimals), [])
    .initializer("one_start", BigInt64Array.of(1n), [1])
    .initializer("zero_start", BigInt64Array.of(0n), [1])
    .initializer("end_max", BigInt64Array.of(9_223_372_036_854_775_807n), [1])
    .initializer("end_last", BigInt64Array.of(-1n), [1])
    .initializer("last_rows", BigInt64Array.of(BigInt(-(m.smoothingHours + 1))), [1])
    .initializer("last_steps", BigInt64Array.of(BigInt(-m.smoothingHours)), [1])
    .initializer("axis0", BigInt64Array.of(0n), [1])
    .initializer("axis1", BigInt64Array.of(1n), [1])
    .initializer("axis2", BigInt64Array.of(2n), [1])
    .initializer("one", Float32Array.of(1), [])
    .initializer("threshold", Float32Array.of(m.threshold), [])
    // Round is half to even (ONNX Round, opset 11), as quantizeReading rounds in float32.
    .node("Mul", ["readings", "steps"], ["scaled"])
    .node("Round", ["scaled"], ["rounded"])
    .node("Div", ["rounded", "steps"], ["q"]);
  gaussianTerms(graph, m);
  controlTerms(graph, m);
  return graph
    .node("Add", ["d2", "vw"], ["u"])
    .node("Add", ["u", "ctl_last"], ["uc"])
    .node("Add", ["uc", "one"], ["u1"])
    .node("Log", ["u1"], ["s"])
    .node("ReduceMean", ["s"], ["score"], { axes: onnxAttr.ints([1]), keepdims: onnxAttr.int(0) })
    .node("Greater", ["score", "threshold"], ["alarm"])
    .node("Cast", ["alarm"], ["pred"], { to: onnxAttr.int(1) })
    .output("score", "float", ["batch"])
    .output("pred", "float", ["batch"]);
}

/** D² ("d2") and λ·out-of-range² ("vw") of the steps of the last k + 1 rows: [batch, min(k, W − 1)]. */
function gaussianTerms(graph: OnnxGraph, m: BatadalModel): void {
  graph
    .initializer("center", m.center, [F])
    .initializer("scale", m.scale, [F])
    .initializer("whitening", m.whitening, [F, F])
    .initializer("lower", m.lower, [F])
    .initializer("upper", m.upper, [F])
    .initializer("range_scale", m.rangeScale, [F])
    .initializer("range_weight", Float32Array.of(m.rangeWeight), [])
    .node("Slice", ["q", "last_rows", "end_max", "axis1"], ["qk"])
    .node("Slice", ["qk", "one_start", "end_max", "axis1"], ["qcur"])
    .node("Slice", ["qk", "zero_start", "end_last", "axis1"], ["qprev"])
    .node("Sub", ["qcur", "qprev"], ["delta"])
    .node("Concat", ["qcur", "delta"], ["fe"], { axis: onnxAttr.int(2) })
    .node("Sub", ["fe", "center"], ["centered"])
    .node("Mul", ["centered", "scale"], ["z"])
    .node("MatMul", ["z", "whitening"], ["y"])
    .node("Mul", ["y", "y"], ["y2"])
    // opset 17: ReduceSum takes its axes as an input, ReduceMean and ReduceMax as an attribute.
    .node("ReduceSum", ["y2", "axis2"], ["d2"], { keepdims: onnxAttr.int(0) })
    .node("Sub", ["fe", "upper"], ["above"])
    .node("Relu", ["above"], ["above_r"])
    .node("Sub", ["lower", "fe"], ["below"])
    .node("Relu", ["below"], ["below_r"])
    .node("Add", ["above_r", "below_r"], ["beyond"])
    .node("Mul", ["beyond", "range_scale"], ["e"])
    .node("Mul", ["e", "e"], ["e2"])
    .node("ReduceSum", ["e2", "axis2"], ["v"], { keepdims: onnxAttr.int(0) })
    .node("Mul", ["v", "range_weight"], ["vw"]);
}

/**
 * μ·Σ_a (c_a / sd_a)² ("ctl_last") of the last min(k, W − 1) rows, as `controlTerm`: the violation of every row
 * [batch, W, 8]; the run number of every row (cumulative count of status changes); for every pair of rows (p, s) a
 * mask "s in p's run and p − M ≤ s ≤ p"; the largest masked violation over s. Both branches of the violation are
 * computed and the other one multiplied by 0, which is exact: the bounds are finite.
 */
function controlTerms(graph: OnnxGraph, m: BatadalModel): void {
  const rules = m.controlRules;
  const column = (name: string) => BigInt(BATADAL_SENSORS.indexOf(name as BatadalSensor));
  const A = rules.length;
  graph
    .initializer(
      "status_cols",
      BigInt64Array.from(rules, (r) => column(r.actuator)),
      [A],
    )
    .initializer(
      "level_cols",
      BigInt64Array.from(rules, (r) => column(r.tank)),
      [A],
    )
    .initializer(
      "hi_on",
      Float32Array.from(rules, (r) => r.hiOn),
      [A],
    )
    .initializer(
      "lo_off",
      Float32Array.from(rules, (r) => r.loOff),
      [A],
    )
    .initializer("half", Float32Array.of(0.5), [])
    .node("Gather", ["q", "status_cols"], ["status"], { axis: onnxAttr.int(2) })
    .node("Gather", ["q", "level_cols"], ["level"], { axis: onnxAttr.int(2) })
    .node("Greater", ["status", "half"], ["on_b"])
    .node("Cast", ["on_b"], ["on"], { to: onnxAttr.int(1) })
    .node("Sub", ["one", "on"], ["off"])
    .node("Sub", ["level", "hi_on"], ["over"])
    .node("Relu", ["over"], ["over_r"])
    .node("Mul", ["over_r", "on"], ["viol_on"])
    .node("Sub", ["lo_off", "level"], ["under"])
    .node("Relu", ["under"], ["under_r"])
    .node("Mul", ["under_r", "off"], ["viol_off"])
    .node("Add", ["viol_on", "viol_off"], ["viol"]);
  rememberedViolations(graph, m);
}

/** From "on" and "viol" [batch, W, A]: the largest violation of each row's run within M hours, as "ctl_last". */
function rememberedViolations(graph: OnnxGraph, m: BatadalModel): void {
  graph
    .initializer("zero", Float32Array.of(0), [])
    .initializer("band_mid", Float32Array.of(m.memoryHours / 2), [])
    .initializer("band_half", Float32Array.of(m.memoryHours / 2 + 0.5), [])
    .initializer("zero_i", BigInt64Array.of(0n), [])
    .initializer("one_i", BigInt64Array.of(1n), [])
    .initializer(
      "level_sd",
      Float32Array.from(m.controlRules, (r) => r.levelSd),
      [m.controlRules.length],
    )
    .initializer("rule_weight", Float32Array.of(m.ruleWeight), [])
    // Run numbers: row 0 starts run 0, each status change starts the next.
    .node("Slice", ["on", "one_start", "end_max", "axis1"], ["on_cur"])
    .node("Slice", ["on", "zero_start", "end_last", "axis1"], ["on_prev"])
    .node("Sub", ["on_cur", "on_prev"], ["on_step"])
    .node("Abs", ["on_step"], ["switched"])
    .node("Slice", ["on", "zero_start", "one_start", "axis1"], ["on_first"])
    .node("Mul", ["on_first", "zero"], ["no_switch"])
    .node("Concat", ["no_switch", "switched"], ["switches"], { axis: onnxAttr.int(1) })
    .node("CumSum", ["switches", "one_i"], ["run"])
    .node("Unsqueeze", ["run", "axis2"], ["run_p"])
    .node("Unsqueeze", ["run", "axis1"], ["run_s"])
    .node("Sub", ["run_p", "run_s"], ["run_gap"])
    .node("Abs", ["run_gap"], ["run_gap_abs"])
    .node("Less", ["run_gap_abs", "half"], ["same_b"])
    .node("Cast", ["same_b"], ["same"], { to: onnxAttr.int(1) })
    // Band: 0 ≤ p − s ≤ M ⇔ |p − s − M/2| < M/2 + 1/2 for whole hours.
    .node("Shape", ["q"], ["q_shape"])
    .node("Gather", ["q_shape", "one_i"], ["rows"], { axis: onnxAttr.int(0) })
    .node("Range", ["zero_i", "rows", "one_i"], ["row_i"])
    .node("Cast", ["row_i"], ["row_f"], { to: onnxAttr.int(1) })
    .node("Unsqueeze", ["row_f", "axis1"], ["row_p"])
    .node("Unsqueeze", ["row_f", "axis0"], ["row_s"])
    .node("Sub", ["row_p", "row_s"], ["lag"])
    .node("Sub", ["lag", "band_mid"], ["lag_c"])
    .node("Abs", ["lag_c"], ["lag_abs"])
    .node("Less", ["lag_abs", "band_half"], ["band_b"])
    .node("Cast", ["band_b"], ["band2"], { to: onnxAttr.int(1) })
    .node("Unsqueeze", ["band2", "axis2"], ["band"])
    .node("Mul", ["same", "band"], ["mask"])
    .node("Unsqueeze", ["viol", "axis1"], ["viol_s"])
    .node("Mul", ["mask", "viol_s"], ["remembered"])
    .node("ReduceMax", ["remembered"], ["worst"], { axes: onnxAttr.ints([2]), keepdims: onnxAttr.int(0) })
    .node("Div", ["worst", "level_sd"], ["worst_sd"])
    .node("Mul", ["worst_sd", "worst_sd"], ["worst2"])
    .node("ReduceSum", ["worst2", "axis2"], ["ctl"], { keepdims: onnxAttr.int(0) })
    .node("Mul", ["ctl", "rule_weight"], ["ctl_w"])
    .node("Slice", ["ctl_w", "one_start", "end_max", "axis1"], ["ctl_steps"])
    .node("Slice", ["ctl_steps", "last_steps", "end_max", "axis1"], ["ctl_last"]);
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
