export {
  assertHourly,
  BATADAL_SENSORS,
  type BatadalAttackFlag,
  type BatadalRow,
  type BatadalSensor,
  type BatadalTable,
  parseBatadalCsv,
  parseBatadalTime,
  readBatadalCsv,
} from "./batadal-csv.ts";
export {
  BatadalStreamScorer,
  type BatadalScoredRows,
  scoreRows,
  scoreWindow,
  stepScore,
} from "./batadal-detector.ts";
export { BatadalError, type BatadalErrorCode } from "./batadal-error.ts";
export {
  attackLabels,
  BATADAL_DATASET04_ATTACKS,
  type BatadalEvaluation,
  evaluateBatadal,
  formatPredictionCsv,
  labelsFromPeriods,
} from "./batadal-evaluate.ts";
export {
  BATADAL_MODEL_FORMAT,
  type BatadalModel,
  type BatadalTrainingInfo,
  batadalModelFromJson,
  batadalModelHash,
  batadalModelToJson,
} from "./batadal-model.ts";
export { type AttackDetection, type AttackRun, attackRuns, type BatadalScore, scoreBatadal } from "./batadal-score.ts";
export {
  BATADAL_FEATURE_COUNT,
  BATADAL_FEATURE_NAMES,
  type BatadalFeatureSpec,
  DEFAULT_FEATURE_SPEC,
  FEATURE_WINDOW_ROWS,
  featureWindow,
  quantizeReading,
  trailingWindow,
} from "./feature-window.ts";
export {
  calibrationFolds,
  DEFAULT_TRAIN_OPTIONS,
  type HourlySeries,
  type SeriesBlock,
  type TrainBatadalOptions,
  type TrainBatadalSettings,
  trainBatadal,
  trainBatadalOnSeries,
} from "./train-batadal.ts";
