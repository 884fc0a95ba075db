import { assertHourly, BATADAL_SENSORS, type BatadalTable } from "./batadal-csv.ts";
import { scoreRows } from "./batadal-detector.ts";
import { BatadalError } from "./batadal-error.ts";
import { BATADAL_MODEL_FORMAT, type BatadalModel } from "./batadal-model.ts";
import { type BatadalControlRule, learnControlRules } from "./control-rules.ts";
import {
  BATADAL_FEATURE_COUNT,
  type BatadalFeatureSpec,
  DEFAULT_FEATURE_SPEC,
  featureWindow,
  validateFeatureSpec,
} from "./feature-window.ts";
import { type DetectorParameters, fitDetectorParameters } from "./fit-detector.ts";

export interface TrainBatadalOptions {
  featureSpec?: BatadalFeatureSpec;
  /** k: hours of step scores averaged into a window score. */
  smoothingHours?: number;
  /** Folds for calibration: each is scored by a model fitted on the others, and the threshold set from those scores. */
  folds?: number;
  /**
   * Each series is cut into blocks of this many hours, dealt to the folds in turn (block b to fold b mod folds).
   * Week-long blocks keep every season in each fold's training rows, as it is in the final model's; quarter-long
   * blocks would score each quarter with a model that never saw its season and set the threshold too high.
   */
  blockHours?: number;
  /** The threshold is this quantile of the held-out window scores: 0.99 accepts about one false alarm hour in 100. */
  quantile?: number;
  eigenFloor?: number;
  /** λ: an hour one standard deviation outside the training range adds λ to the squared Mahalanobis distance. */
  rangeWeight?: number;
  /** μ: an hour one tank-level standard deviation outside an actuator's learned envelope adds μ (see `controlTerm`). */
  ruleWeight?: number;
  /** M: hours a control violation is remembered while the actuator keeps its on/off state. */
  memoryHours?: number;
}

export type TrainBatadalSettings = Required<TrainBatadalOptions>;

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainBatadalSettings> = Object.freeze({
  featureSpec: DEFAULT_FEATURE_SPEC,
  smoothingHours: 6,
  folds: 4,
  blockHours: 168,
  quantile: 0.99,
  eigenFloor: 1e-3,
  rangeWeight: 1000,
  ruleWeight: 1000,
  memoryHours: 12,
});

/** Hourly readings without gaps, in `BATADAL_SENSORS` order; training may take several such series. */
export type HourlySeries = readonly Float64Array[];

function checkSettings(settings: TrainBatadalSettings): void {
  validateFeatureSpec(settings.featureSpec);
  const { smoothingHours: k, folds, blockHours, quantile } = settings;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`smoothingHours must be an integer ≥ 1, got ${k}`);
  if (!Number.isInteger(folds) || folds < 2) throw new RangeError(`folds must be an integer ≥ 2, got ${folds}`);
  if (!Number.isInteger(blockHours) || blockHours < 2 * (k + 1)) {
    throw new RangeError(`blockHours must be an integer ≥ 2·(smoothingHours + 1), got ${blockHours}`);
  }
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`quantile must be in (0, 1), got ${quantile}`);
  const { memoryHours: m, ruleWeight: mu } = settings;
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`memoryHours must be an integer ≥ 1, got ${m}`);
  if (!(mu >= 0 && Number.isFinite(mu))) throw new RangeError(`ruleWeight must be a finite number ≥ 0, got ${mu}`);
}

/** Four weeks by default: every fold must hold a block, and the covariance of 86 features needs rows. */
function minimumHours(settings: TrainBatadalSettings): number {
  return Math.max(4 * BATADAL_FEATURE_COUNT, settings.folds * settings.blockHours);
}

function checkTrainingTable(table: BatadalTable, settings: TrainBatadalSettings): void {
  const attack = table.rows.findIndex((row) => row.attackFlag === 1);
  if (attack >= 0) {
    throw new BatadalError(
      "ANALYTICS_BATADAL_TRAINING_ATTACK",
      `${table.source}:${attack + 2}: the detector trains on normal operation only, but this row has ATT_FLAG 1`,
      { source: table.source, line: attack + 2, column: "ATT_FLAG" },
    );
  }
  const needed = minimumHours(settings);
  if (table.rows.length < needed) {
    throw new BatadalError(
      "ANALYTICS_BATADAL_TOO_FEW_ROWS",
      `${table.source}: ${table.rows.length} rows, training needs at least ${needed} hours`,
      { source: table.source, rows: table.rows.length, needed },
    );
  }
  assertHourly(table);
}

function modelFrom(
  parameters: DetectorParameters,
  controlRules: BatadalControlRule[],
  settings: TrainBatadalSettings,
): BatadalModel {
  return {
    format: BATADAL_MODEL_FORMAT,
    sensors: [...BATADAL_SENSORS],
    featureSpec: { decimals: settings.featureSpec.decimals },
    smoothingHours: settings.smoothingHours,
    memoryHours: settings.memoryHours,
    windowRows: settings.smoothingHours + settings.memoryHours,
    ...parameters,
    rangeWeight: settings.rangeWeight,
    controlRules,
    ruleWeight: settings.ruleWeight,
    threshold: Number.POSITIVE_INFINITY,
    training: {
      steps: 0,
      folds: settings.folds,
      blockHours: settings.blockHours,
      quantile: settings.quantile,
      eigenFloor: settings.eigenFloor,
      heldOutAlarmRate: 0,
    },
  };
}

/** The value at rank ⌊q·n⌋ of the sorted scores: at most a share 1 − q of them lie above it. */
function quantileOf(scores: Float64Array, q: number): number {
  const sorted = Float64Array.from(scores).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** A run of rows [start, end) of series `series`. */
export interface SeriesBlock {
  series: number;
  start: number;
  end: number;
}

/** Blocks of `blockHours` rows of every series (the last of a series may be short), dealt to the folds in turn. */
export function calibrationFolds(lengths: readonly number[], folds: number, blockHours: number): SeriesBlock[][] {
  const result: SeriesBlock[][] = Array.from({ length: folds }, () => []);
  let block = 0;
  lengths.forEach((rows, series) => {
    for (let start = 0; start < rows; start += blockHours, block++) {
      result[block % folds]?.push({ series, start, end: Math.min(rows, start + blockHours) });
    }
  });
  return result;
}

/** Step i of a series is the feature vector of its row i + 1, which also reads row i. */
function stepsOf(series: HourlySeries, spec: BatadalFeatureSpec): Float64Array[] {
  return series.slice(1).map((row, i) => featureWindow([series[i] as Float64Array, row], spec));
}

/**
 * Fits the scoring parameters to the series, leaving out every row in `excluded` and every step that reads one:
 * the Gaussian part to the steps, the control envelopes to the rows.
 */
function fitOnSeries(
  series: readonly HourlySeries[],
  steps: readonly Float64Array[][],
  settings: TrainBatadalSettings,
  excluded: readonly SeriesBlock[] = [],
): BatadalModel {
  const kept: Float64Array[] = [];
  const rows: Float64Array[] = [];
  steps.forEach((seriesSteps, s) => {
    const out = new Uint8Array(seriesSteps.length + 1);
    for (const block of excluded) if (block.series === s) out.fill(1, block.start, block.end);
    seriesSteps.forEach((step, i) => {
      if (out[i] === 0 && out[i + 1] === 0) kept.push(step);
    });
    (series[s] as HourlySeries).forEach((row, i) => {
      if (out[i] === 0) rows.push(row);
    });
  });
  const { decimals } = settings.featureSpec;
  const fit = { decimals, eigenFloor: settings.eigenFloor };
  return modelFrom(fitDetectorParameters(kept, fit), learnControlRules(rows, decimals), settings);
}

/** Window scores of every held-out block, each scored as `scoreRows` scores a file, by its fold's model. */
function heldOutScores(
  series: readonly HourlySeries[],
  steps: Float64Array[][],
  settings: TrainBatadalSettings,
): Float64Array {
  const scores: number[] = [];
  const folds = calibrationFolds(
    series.map((rows) => rows.length),
    settings.folds,
    settings.blockHours,
  );
  for (const blocks of folds) {
    const foldModel = fitOnSeries(series, steps, settings, blocks);
    for (const { series: s, start, end } of blocks) {
      const rows = (series[s] as HourlySeries).slice(start, end);
      // The first row of a block has no score (NaN): no hour before it.
      for (const score of scoreRows(foldModel, rows).scores) if (!Number.isNaN(score)) scores.push(score);
    }
  }
  return Float64Array.from(scores);
}

/**
 * Fits the detector to hourly series of normal operation and calibrates its threshold on folds of week-long
 * blocks: each block is scored, exactly as `scoreRows` scores a file, by a model fitted on the other folds, and the
 * threshold is the `quantile` of those held-out scores. The final parameters are fitted on all steps.
 * Deterministic: the same series and options give the same model.
 */
export function trainBatadalOnSeries(series: readonly HourlySeries[], options: TrainBatadalOptions = {}): BatadalModel {
  const settings: TrainBatadalSettings = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  checkSettings(settings);
  const hours = series.reduce((sum, rows) => sum + rows.length, 0);
  if (hours < minimumHours(settings)) {
    throw new BatadalError(
      "ANALYTICS_BATADAL_TOO_FEW_ROWS",
      `${hours} hours of training series, training needs at least ${minimumHours(settings)}`,
      { rows: hours, needed: minimumHours(settings) },
    );
  }
  const steps = series.map((rows) => stepsOf(rows, settings.featureSpec));
  const pooled = heldOutScores(series, steps, settings);
  const threshold = quantileOf(pooled, settings.quantile);
  const model = fitOnSeries(series, steps, settings);
  model.threshold = threshold;
  model.training.steps = steps.reduce((sum, s) => sum + s.length, 0);
  model.training.heldOutAlarmRate = pooled.filter((score) => score > threshold).length / pooled.length;
  return model;
}

/** Trains on one file of normal operation (e.g. BATADAL dataset03); refuses gaps and rows labelled as attacks. */
export function trainBatadal(table: BatadalTable, options: TrainBatadalOptions = {}): BatadalModel {
  const settings: TrainBatadalSettings = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  checkSettings(settings);
  checkTrainingTable(table, settings);
  return trainBatadalOnSeries([table.rows.map((row) => row.readings)], settings);
}
