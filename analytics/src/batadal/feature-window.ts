import { BATADAL_SENSORS } from "./batadal-csv.ts";
import { BatadalError } from "./batadal-error.ts";

/**
 * The one feature function of the BATADAL detector. Training (`trainBatadal`), batch scoring (`scoreRows`) and
 * streaming (`BatadalStreamScorer`) all call `featureWindow`, and the ONNX export reproduces it op for op, so what
 * the model was fitted on and what it is served cannot drift apart.
 */
export interface BatadalFeatureSpec {
  /**
   * Readings are rounded to this many decimals before anything else. The BATADAL exports of dataset04 and the test
   * set carry two decimals while dataset03 carries nine: a model fitted on the extra digits finds near-exact linear
   * relations (e.g. between the pressures of one pumping station) that the rounded files break at every row.
   */
  decimals: number;
}

export const DEFAULT_FEATURE_SPEC: Readonly<BatadalFeatureSpec> = Object.freeze({ decimals: 2 });

/** Rows one feature vector looks at: the previous hour and the current hour. */
export const FEATURE_WINDOW_ROWS = 2;

const SENSOR_COUNT = BATADAL_SENSORS.length;

/** The readings of the current hour, then their change from the previous hour. */
export const BATADAL_FEATURE_NAMES: readonly string[] = Object.freeze([
  ...BATADAL_SENSORS,
  ...BATADAL_SENSORS.map((sensor) => `DELTA_${sensor}`),
]);

export const BATADAL_FEATURE_COUNT = BATADAL_FEATURE_NAMES.length;

export function validateFeatureSpec(spec: BatadalFeatureSpec): void {
  if (!Number.isInteger(spec.decimals) || spec.decimals < 0 || spec.decimals > 6) {
    throw new BatadalError("ANALYTICS_BATADAL_MODEL_INVALID", `decimals must be an integer 0–6, got ${spec.decimals}`, {
      field: "decimals",
    });
  }
}

/**
 * Rounds to `decimals` the way a float32 ONNX graph does: Mul(x, 10^d) in float32, Round (ONNX rounds half to
 * even), Div by 10^d. Emulating float32 here keeps the TypeScript reference and onnxruntime on the same side of
 * every rounding boundary.
 */
export function quantizeReading(value: number, decimals: number): number {
  const steps = Math.fround(10 ** decimals);
  const scaled = Math.fround(Math.fround(value) * steps);
  let rounded = Math.round(scaled);
  if (Math.abs(scaled % 1) === 0.5) rounded = 2 * Math.round(scaled / 2);
  return Math.fround(rounded / steps);
}

/**
 * The feature vector of the last row of `window` (= [previous hour, current hour], 43 readings each in
 * `BATADAL_SENSORS` order): the 43 rounded readings, then the 43 differences current − previous of the rounded
 * readings (float32, as the graph computes them).
 */
export function featureWindow(window: readonly ArrayLike<number>[], spec: BatadalFeatureSpec): Float64Array {
  if (window.length !== FEATURE_WINDOW_ROWS) {
    throw new RangeError(`featureWindow takes ${FEATURE_WINDOW_ROWS} rows, got ${window.length}`);
  }
  const previous = window[0] as ArrayLike<number>;
  const current = window[1] as ArrayLike<number>;
  if (previous.length !== SENSOR_COUNT || current.length !== SENSOR_COUNT) {
    throw new RangeError(`featureWindow rows hold ${SENSOR_COUNT} readings, got ${previous.length}/${current.length}`);
  }
  const features = new Float64Array(BATADAL_FEATURE_COUNT);
  for (let j = 0; j < SENSOR_COUNT; j++) {
    const now = quantizeReading(current[j] as number, spec.decimals);
    features[j] = now;
    features[SENSOR_COUNT + j] = Math.fround(now - quantizeReading(previous[j] as number, spec.decimals));
  }
  return features;
}

/**
 * The at most `size` rows ending at row `t`: fewer at the start of a series, where there is no earlier hour to
 * stand in (repeating the first row would fake hours with no change at all, which the detector rightly finds odd).
 */
export function trailingWindow<T>(rows: readonly T[], t: number, size: number): T[] {
  if (t < 0 || t >= rows.length) throw new RangeError(`row ${t} is outside 0..${rows.length - 1}`);
  return rows.slice(Math.max(0, t - size + 1), t + 1);
}
