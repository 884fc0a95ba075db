/**
 * Features of a window of rows, declared as data so that one definition gives both the TypeScript
 * reference (here) and the ONNX graph (a Slice and a Reduce per statistic, a Sub per difference).
 * A window is what the served model receives for one device: `window` rows of the `inputs`
 * metrics, oldest first, row-major — the tensor [window, inputs] of one batch entry.
 */

/** A reduction over the newest rows of one input, leaving out the newest `skip` rows. */
export interface WindowStat {
  /** Metric name; must be one of the definition's `inputs`. */
  input: string;
  reduce: "mean" | "max" | "min";
  /** Rows reduced over (at least 1). */
  rows: number;
  /** Newest rows left out (default 0): `rows: 10, skip: 30` are the 10 rows before the newest 30. */
  skip?: number;
}

/** One feature: a statistic, or the difference of two (a change over time, a gap between inputs). */
export type WindowFeature =
  | { name: string; kind: "stat"; stat: WindowStat }
  | { name: string; kind: "difference"; stat: WindowStat; minus: WindowStat };

export interface WindowShape {
  /** Metrics of a row, in the model's input order. */
  inputs: readonly string[];
  /** Rows in a window. */
  window: number;
  features: readonly WindowFeature[];
}

/** Row range [from, to) of a statistic inside a window of `window` rows: the ONNX Slice's starts and ends. */
export function statRows(stat: WindowStat, window: number): { from: number; to: number } {
  const skip = stat.skip ?? 0;
  return { from: window - skip - stat.rows, to: window - skip };
}

/** Throws a RangeError naming the feature if a statistic reads an unknown input or rows outside the window. */
export function checkWindowShape(shape: WindowShape): void {
  if (!Number.isInteger(shape.window) || shape.window < 1) {
    throw new RangeError(`window must be a positive integer, got ${shape.window}`);
  }
  for (const feature of shape.features) {
    const stats = feature.kind === "stat" ? [feature.stat] : [feature.stat, feature.minus];
    for (const stat of stats) {
      const { from, to } = statRows(stat, shape.window);
      if (!shape.inputs.includes(stat.input)) {
        throw new RangeError(`feature ${feature.name}: input ${stat.input} is not one of ${shape.inputs.join(", ")}`);
      }
      if (!Number.isInteger(stat.rows) || stat.rows < 1 || from < 0 || to > shape.window || !Number.isInteger(from)) {
        throw new RangeError(
          `feature ${feature.name}: rows [${from}, ${to}) are not inside a window of ${shape.window}`,
        );
      }
    }
  }
}

export function featureNames(shape: WindowShape): string[] {
  return shape.features.map((f) => f.name);
}

/** The statistic over a row-major window of `shape.window` × `shape.inputs.length` values. */
export function windowStat(shape: WindowShape, window: ArrayLike<number>, stat: WindowStat): number {
  const width = shape.inputs.length;
  const column = shape.inputs.indexOf(stat.input);
  const { from, to } = statRows(stat, shape.window);
  let acc = stat.reduce === "mean" ? 0 : (window[from * width + column] as number);
  for (let row = from; row < to; row++) {
    const value = window[row * width + column] as number;
    if (stat.reduce === "mean") acc += value;
    else if (stat.reduce === "max") acc = Math.max(acc, value);
    else acc = Math.min(acc, value);
  }
  return stat.reduce === "mean" ? acc / stat.rows : acc;
}

/**
 * The feature vector of one window — THE feature function: training calls it on windows cut from
 * stored series, the reference scorer on live windows, and the ONNX graph computes the same.
 */
export function windowFeatures(shape: WindowShape, window: ArrayLike<number>, out?: Float64Array): Float64Array {
  if (window.length !== shape.window * shape.inputs.length) {
    throw new RangeError(
      `a window of ${shape.window} rows × ${shape.inputs.length} inputs has ${shape.window * shape.inputs.length} values, got ${window.length}`,
    );
  }
  const features = out ?? new Float64Array(shape.features.length);
  shape.features.forEach((f, k) => {
    const value = windowStat(shape, window, f.stat);
    features[k] = f.kind === "stat" ? value : value - windowStat(shape, window, f.minus);
  });
  return features;
}
