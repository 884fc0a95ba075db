import type { BatadalModel } from "./batadal-model.ts";
import { controlTerm } from "./control-rules.ts";
import { BATADAL_FEATURE_COUNT, FEATURE_WINDOW_ROWS, featureWindow, trailingWindow } from "./feature-window.ts";

/*
 * The scoring computation, as the ONNX graph computes it (F = 86 features, k = smoothingHours, M = memoryHours,
 * W = model.windowRows = k + M, A = 8 actuators of `BATADAL_CONTROL_MAP`):
 *
 *   X        [B, W, 43]  readings, oldest row first (input "readings", float32; W may be 2..k+M, see below)
 *   Q      = Div(Round(Mul(X, 10^d)), 10^d)                   rounding to d = featureSpec.decimals
 *   Gaussian part, on the last k + 1 rows Qk = Slice(Q, starts=[-(k+1)], axes=[1]):
 *   Fe     = Concat([Qcur, Sub(Qcur, Qprev)], axis=2)          [B, k, F]   = featureWindow for each step
 *   D2     = ReduceSum(Mul(Y, Y), axes=[2]), Y = MatMul(Mul(Sub(Fe, center), scale), whitening)   [B, k]
 *   V      = ReduceSum(E², axes=[2]), E = Mul(Add(Relu(Sub(Fe, upper)), Relu(Sub(lower, Fe))), rangeScale)
 *   Control part, on all W rows (`controlTerm`):
 *   on     = Cast(Greater(Gather(Q, status columns), 0.5))     [B, W, A]
 *   viol   = on·Relu(L − hiOn) + (1 − on)·Relu(loOff − L)     [B, W, A]   L = Gather(Q, tank columns)
 *   run    = CumSum(Concat([0, Abs(on[1:] − on[:-1])]), axis 1)            row's run number per actuator
 *   mask   = (run[p] == run[s]) · (0 ≤ p − s ≤ M)              [B, W, W, A]
 *   C      = ReduceSum((ReduceMax(mask · viol[s], over s) / levelSd)², over A)    [B, W] → last k rows
 *   S      = Log(D2 + V·rangeWeight + C·ruleWeight + 1)        [B, k]      step scores
 *   score  = ReduceMean(S, axes=[1], keepdims=0)               [B]         output "score"
 *   pred   = Cast(Greater(score, threshold), to=FLOAT)         [B]         output "pred"
 *
 * Only the window axis differs between the first hours of a series and the rest: the first row has no score
 * (there is no hour before it), rows 1..k−1 average the steps they have, and the control memory reaches back only
 * to the first row there is, so the graph keeps W symbolic. `stepScore`, `controlTerm` and `scoreWindow` are the
 * float64 reference of exactly this sequence (the rounding and the violations emulate float32, see
 * `quantizeReading`); onnxruntime agrees to float32 precision.
 */

/**
 * The score of one hourly step from its feature vector and its control term (see `controlTerm`):
 * ln(1 + Mahalanobis² + λ·out-of-range² + μ·control).
 */
export function stepScore(model: BatadalModel, features: Float64Array, control = 0): number {
  const F = BATADAL_FEATURE_COUNT;
  const z = new Float64Array(F);
  let outside = 0;
  for (let j = 0; j < F; j++) {
    const f = features[j] as number;
    z[j] = (f - (model.center[j] as number)) * (model.scale[j] as number);
    const beyond = Math.max(0, f - (model.upper[j] as number)) + Math.max(0, (model.lower[j] as number) - f);
    const scaled = beyond * (model.rangeScale[j] as number);
    outside += scaled * scaled;
  }
  const y = new Float64Array(F);
  for (let j = 0; j < F; j++) {
    const zj = z[j] as number;
    if (zj === 0) continue;
    const base = j * F;
    for (let c = 0; c < F; c++) y[c] = (y[c] as number) + zj * (model.whitening[base + c] as number);
  }
  let distance = 0;
  for (let c = 0; c < F; c++) distance += (y[c] as number) ** 2;
  return Math.log(distance + outside * model.rangeWeight + control * model.ruleWeight + 1);
}

/**
 * The score of the last row of a window of `model.windowRows` rows (2 or more at the start of a series): the mean
 * of its last k step scores (fewer at the start of a series). The rows before those steps are there for the control
 * term's memory.
 */
export function scoreWindow(model: BatadalModel, window: readonly ArrayLike<number>[]): number {
  if (window.length < FEATURE_WINDOW_ROWS || window.length > model.windowRows) {
    throw new RangeError(`the model scores windows of 2..${model.windowRows} rows, got ${window.length}`);
  }
  const steps = Math.min(model.smoothingHours, window.length - FEATURE_WINDOW_ROWS + 1);
  let sum = 0;
  for (let i = window.length - steps; i < window.length; i++) {
    const features = featureWindow(window.slice(i - FEATURE_WINDOW_ROWS + 1, i + 1), model.featureSpec);
    sum += stepScore(model, features, controlTerm(model, window, i));
  }
  return sum / steps;
}

export interface BatadalScoredRows {
  /** One window score per input row; NaN for the first row, which has no hour before it. */
  scores: Float64Array;
  /** 1 where the score is above the model's threshold. */
  predictions: Uint8Array;
}

/** The score of row `t` of a series from its trailing window; NaN for row 0. */
function scoreRowAt(model: BatadalModel, readings: readonly ArrayLike<number>[], t: number): number {
  return t === 0 ? Number.NaN : scoreWindow(model, trailingWindow(readings, t, model.windowRows));
}

/** Scores every row of an hourly series from its trailing window; the first row is never an alarm. */
export function scoreRows(model: BatadalModel, readings: readonly ArrayLike<number>[]): BatadalScoredRows {
  const scores = new Float64Array(readings.length);
  const predictions = new Uint8Array(readings.length);
  for (let t = 0; t < readings.length; t++) {
    const score = scoreRowAt(model, readings, t);
    scores[t] = score;
    predictions[t] = score > model.threshold ? 1 : 0;
  }
  return { scores, predictions };
}

/**
 * Scores a live series one hour at a time, keeping only the last `windowRows` rows: the online twin of
 * `scoreRows`, giving the same score for every row.
 */
export class BatadalStreamScorer {
  readonly #model: BatadalModel;
  readonly #window: ArrayLike<number>[] = [];

  constructor(model: BatadalModel) {
    this.#model = model;
  }

  push(readings: ArrayLike<number>): { score: number; prediction: 0 | 1 } {
    this.#window.push(readings);
    if (this.#window.length > this.#model.windowRows) this.#window.shift();
    const score = scoreRowAt(this.#model, this.#window, this.#window.length - 1);
    return { score, prediction: score > this.#model.threshold ? 1 : 0 };
  }
}
