import { evaluateAlarms } from "./event-metrics.ts";
import { exceedanceTargets, type LabelledSeries, seriesWindow } from "./labelled-series.ts";
import { fitLogisticRegression, type LogisticFitOptions, logisticProbability } from "./logistic-regression.ts";
import { checkWindowShape, type WindowShape, windowFeatures } from "./window-features.ts";

/** What a forecaster looks at and what it predicts: an incident row within `horizonMs` of the window's last row. */
export interface ExceedanceForecasterDefinition extends WindowShape {
  /** Model name in the registry. */
  name: string;
  description: string;
  /** Spacing of the rows the window is made of. */
  stepMs: number;
  horizonMs: number;
}

/**
 * A trained forecaster, JSON as it is: P(incident within the horizon) = sigmoid(bias + Σ weights_j ·
 * (feature_j − featureMean_j) / featureScale_j), and an alarm when that is above `threshold`.
 */
export interface ExceedanceForecaster {
  definition: ExceedanceForecasterDefinition;
  featureMean: number[];
  featureScale: number[];
  weights: number[];
  bias: number;
  /** Alarm when the probability is strictly above it (ONNX Greater). */
  threshold: number;
  training: {
    rows: number;
    positives: number;
    iterations: number;
    /** On the training days, at `threshold`. */
    detectionRate: number;
    falseAlarmsPerDeviceDay: number;
  };
}

export interface ForecasterTrainingOptions extends LogisticFitOptions {
  /** The most false alarms per device-day the threshold may give on the training days; default 0.25. */
  maxFalseAlarmsPerDeviceDay?: number;
  /** Thresholds tried; default 0.05, 0.10, …, 0.95. */
  thresholds?: readonly number[];
  /** Incidents less than this apart count as one when the threshold is chosen (see `evaluateAlarms`); default 0. */
  incidentGapMs?: number;
}

const DEFAULT_THRESHOLDS = Array.from({ length: 19 }, (_, k) => (k + 1) / 20);

/** Feature vectors of the rows with a full window (`window − 1` onwards), row-major. */
export function seriesFeatures(shape: WindowShape, series: LabelledSeries): Float64Array {
  const width = shape.features.length;
  const first = shape.window - 1;
  const rows = Math.max(0, series.timestamps.length - first);
  const features = new Float64Array(rows * width);
  const window = new Float64Array(shape.window * shape.inputs.length);
  for (let r = 0; r < rows; r++) {
    seriesWindow(shape, series, first + r, window);
    windowFeatures(shape, window, features.subarray(r * width, (r + 1) * width));
  }
  return features;
}

/**
 * Fits the logistic model on every row of the training series with a full window and a known target,
 * then picks the threshold with the highest detection rate on those series among those within the
 * false-alarm budget, the lowest of equals (earlier warnings); the highest tried if none is within it.
 */
export function trainExceedanceForecaster(
  definition: ExceedanceForecasterDefinition,
  series: readonly LabelledSeries[],
  options: ForecasterTrainingOptions = {},
): ExceedanceForecaster {
  checkWindowShape(definition);
  const width = definition.features.length;
  const perSeries = series.map((s) => seriesFeatures(definition, s));
  const x: number[] = [];
  const y: number[] = [];
  series.forEach((s, k) => {
    const { targets, known } = exceedanceTargets(s, definition.horizonMs);
    const features = perSeries[k] as Float64Array;
    for (let i = definition.window - 1; i < s.timestamps.length; i++) {
      if (known[i] !== 1) continue;
      const r = i - definition.window + 1;
      for (let j = 0; j < width; j++) x.push(features[r * width + j] as number);
      y.push(targets[i] as number);
    }
  });
  const fit = fitLogisticRegression(Float64Array.from(x), y, width, options);
  const scores = series.map((s, k) => {
    const out = new Float64Array(s.timestamps.length).fill(Number.NaN);
    const features = perSeries[k] as Float64Array;
    for (let i = definition.window - 1; i < out.length; i++) {
      const r = i - definition.window + 1;
      out[i] = logisticProbability(fit, features.subarray(r * width, (r + 1) * width));
    }
    return out;
  });
  const chosen = chooseThreshold(definition, series, scores, options);
  return {
    definition,
    featureMean: fit.mean,
    featureScale: fit.scale,
    weights: fit.weights,
    bias: fit.bias,
    threshold: chosen.threshold,
    training: {
      rows: y.length,
      positives: y.reduce((a, b) => a + b, 0),
      iterations: fit.iterations,
      detectionRate: chosen.detectionRate,
      falseAlarmsPerDeviceDay: chosen.falseAlarmsPerDeviceDay,
    },
  };
}

function chooseThreshold(
  definition: ExceedanceForecasterDefinition,
  series: readonly LabelledSeries[],
  scores: readonly Float64Array[],
  options: ForecasterTrainingOptions,
) {
  const budget = options.maxFalseAlarmsPerDeviceDay ?? 0.25;
  const thresholds = [...(options.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
  if (thresholds.length === 0) throw new RangeError("no thresholds to choose from");
  let best: { threshold: number; detectionRate: number; falseAlarmsPerDeviceDay: number } | undefined;
  for (const threshold of thresholds) {
    const metrics = evaluateAlarms(
      series,
      scores.map((s) => alarmsOf(s, threshold)),
      { ...definition, incidentGapMs: options.incidentGapMs ?? 0 },
    );
    const candidate = {
      threshold,
      detectionRate: metrics.detectionRate,
      falseAlarmsPerDeviceDay: metrics.falseAlarmsPerDeviceDay,
    };
    if (
      metrics.falseAlarmsPerDeviceDay <= budget &&
      (best === undefined || candidate.detectionRate > best.detectionRate)
    ) {
      best = candidate;
    }
    if (best === undefined && threshold === thresholds.at(-1)) best = candidate; // nothing fits: the quietest
  }
  return best as NonNullable<typeof best>;
}

/** 1 where the probability is strictly above the threshold (NaN, a row without a full window, never is). */
export function alarmsOf(probabilities: ArrayLike<number>, threshold: number): Uint8Array {
  const alarms = new Uint8Array(probabilities.length);
  for (let i = 0; i < alarms.length; i++) alarms[i] = (probabilities[i] as number) > threshold ? 1 : 0;
  return alarms;
}

/** The reference of the exported graph: P(incident within the horizon) for one window (row-major, oldest row first). */
export function forecastProbability(model: ExceedanceForecaster, window: ArrayLike<number>): number {
  const features = windowFeatures(model.definition, window);
  return logisticProbability(
    { mean: model.featureMean, scale: model.featureScale, weights: model.weights, bias: model.bias, iterations: 0 },
    features,
  );
}

/** Probabilities for every row of a series (NaN for the first `window − 1` rows). */
export function forecastSeries(model: ExceedanceForecaster, series: LabelledSeries): Float64Array {
  const out = new Float64Array(series.timestamps.length).fill(Number.NaN);
  const window = new Float64Array(model.definition.window * model.definition.inputs.length);
  for (let i = model.definition.window - 1; i < out.length; i++) {
    seriesWindow(model.definition, series, i, window);
    out[i] = forecastProbability(model, window);
  }
  return out;
}
