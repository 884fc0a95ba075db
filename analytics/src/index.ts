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
} from "./batadal/batadal-csv.ts";
export { BUNDLED_BATADAL_DIR, batadalFile } from "./batadal/batadal-data.ts";
export {
  type BatadalScoredRows,
  BatadalStreamScorer,
  scoreRows,
  scoreWindow,
  stepScore,
} from "./batadal/batadal-detector.ts";
export { BatadalError, type BatadalErrorCode } from "./batadal/batadal-error.ts";
export {
  attackLabels,
  BATADAL_DATASET04_ATTACKS,
  type BatadalEvaluation,
  evaluateBatadal,
  formatPredictionCsv,
  labelsFromPeriods,
} from "./batadal/batadal-evaluate.ts";
export {
  BATADAL_MODEL_FORMAT,
  type BatadalModel,
  type BatadalTrainingInfo,
  batadalModelFromJson,
  batadalModelHash,
  batadalModelToJson,
} from "./batadal/batadal-model.ts";
export { type BatadalExport, batadalGraph, batadalOnnx, scoreRowsOnnx } from "./batadal/batadal-onnx.ts";
export {
  type AttackDetection,
  type AttackRun,
  attackRuns,
  type BatadalScore,
  scoreBatadal,
} from "./batadal/batadal-score.ts";
export {
  BATADAL_CONTROL_MAP,
  type BatadalControlRule,
  controlTerm,
  controlViolation,
  learnControlRules,
  MIN_STATE_HOURS,
  UNBOUNDED_LEVEL,
} from "./batadal/control-rules.ts";
export {
  BATADAL_FEATURE_COUNT,
  BATADAL_FEATURE_NAMES,
  type BatadalFeatureSpec,
  DEFAULT_FEATURE_SPEC,
  FEATURE_WINDOW_ROWS,
  featureWindow,
  quantizeReading,
  trailingWindow,
} from "./batadal/feature-window.ts";
export {
  calibrationFolds,
  DEFAULT_TRAIN_OPTIONS,
  type HourlySeries,
  type SeriesBlock,
  type TrainBatadalOptions,
  type TrainBatadalSettings,
  trainBatadal,
  trainBatadalOnSeries,
} from "./batadal/train-batadal.ts";
export { dustForecasterDefinition } from "./forecast/dust-forecaster.ts";
export {
  type AlarmEpisode,
  alarmEpisodes,
  type EventMetricOptions,
  type EventMetrics,
  evaluateAlarms,
  type IncidentOutcome,
  mergedIncidents,
  quantile,
} from "./forecast/event-metrics.ts";
export {
  alarmsOf,
  type ExceedanceForecaster,
  type ExceedanceForecasterDefinition,
  type ForecasterTrainingOptions,
  forecastProbability,
  forecastSeries,
  seriesFeatures,
  trainExceedanceForecaster,
} from "./forecast/exceedance-forecaster.ts";
export {
  DUST_PM10_LIMIT_UG_M3,
  dustExceedanceRule,
  type ExceedanceRule,
  exceedanceIncidents,
  FLOOD_WARNING_LEVEL_M,
  floodExceedanceRule,
  ruleValues,
} from "./forecast/exceedance-incidents.ts";
export { floodForecasterDefinition } from "./forecast/flood-forecaster.ts";
export {
  type ForecastGraphPlan,
  type ForecastPlanAttribute,
  type ForecastPlanInitializer,
  type ForecastPlanNode,
  type ForecastPlanValue,
  forecastGraphPlan,
} from "./forecast/forecast-graph-plan.ts";
export { type ForecastExport, forecasterOnnx } from "./forecast/forecast-onnx.ts";
export { type DeviceRows, type LabelledRunOptions, labelledRuns, rowRuns } from "./forecast/labelled-runs.ts";
export {
  type ExceedanceTargets,
  exceedanceTargets,
  firstRowAtOrAfter,
  incidentRows,
  type LabelledIncident,
  type LabelledSeries,
  seriesWindow,
} from "./forecast/labelled-series.ts";
export {
  fitLogisticRegression,
  type LogisticFitOptions,
  type LogisticRegression,
  logisticProbability,
  sigmoid,
} from "./forecast/logistic-regression.ts";
export {
  checkWindowShape,
  featureNames,
  statRows,
  type WindowFeature,
  type WindowShape,
  type WindowStat,
  windowFeatures,
  windowStat,
} from "./forecast/window-features.ts";
export { AnalyticsError, type AnalyticsErrorCode } from "./onnx/analytics-error.ts";
export { type MlpActivation, type MlpGraphSpec, type MlpLayer, mlpGraph } from "./onnx/mlp-graph.ts";
export {
  type OnnxAttribute,
  type OnnxDim,
  type OnnxElemType,
  OnnxGraph,
  type OnnxInitializer,
  type OnnxNode,
  type OnnxTensor,
  type OnnxTensorValues,
  type OnnxValueInfo,
  onnxAttr,
} from "./onnx/onnx-graph.ts";
export { DEFAULT_IR_VERSION, DEFAULT_OPSET, encodeModel, type OnnxModelOptions } from "./onnx/onnx-model-encoder.ts";
export { type OnnxModelMetadata, type OnnxOpsetImport, readModelMetadata } from "./onnx/onnx-model-metadata.ts";
export {
  type OnnxPort,
  OnnxScorer,
  type OnnxScorerOptions,
  type OnnxTensorData,
  type OnnxTensorInput,
  type OnnxTensorOutput,
} from "./onnx/onnx-scorer.ts";
export { FileModelRegistry } from "./registry/file-model-registry.ts";
export {
  type ActiveModel,
  checkModelName,
  type ModelRegistry,
  type ModelVersion,
  RegistryError,
  type RegistryErrorCode,
  sha256Hex,
} from "./registry/model-registry.ts";
export { MODEL_ACTIVE_BUCKET, MODEL_BUCKET, NatsModelRegistry } from "./registry/nats-model-registry.ts";
export { htmlReport, panelSvg, type Report, type ReportPanel } from "./report/html-report.ts";
export {
  MODEL_SPEC_KEY,
  type ModelSpec,
  type ModelSpecInput,
  modelSpecSchema,
  predMetricOf,
  scoreMetricOf,
} from "./serving/model-spec.ts";
export {
  type ClassFigures,
  evaluateVision,
  featuresOf,
  type TrainedVisionModel,
  type TrainVisionOptions,
  trainVisionModel,
  type VisionEvaluation,
  type VisionSample,
  type VisionSampleKind,
  type VisionSampleRequest,
  type VisionSampleSource,
} from "./vision/train-vision.ts";
export { checkVisionSize, VISION_FEATURE_COUNT, visionFeatureNames, visionFeatures } from "./vision/vision-features.ts";
export { type VisionHead, visionGraph } from "./vision/vision-graph.ts";
export {
  fitVisionModel,
  VISION_CLASSES,
  VISION_CLASSES_KEY,
  VISION_INPUT_KEY,
  type VisionClass,
  type VisionExport,
  type VisionInputSpec,
  type VisionModel,
  visionHead,
  visionOnnx,
  visionProbabilities,
} from "./vision/vision-model.ts";
export { VisionScorer, type VisionScorerOptions, type VisionScores } from "./vision/vision-scorer.ts";
export { chwBatch, type RgbImage, writeChw } from "./vision/vision-tensor.ts";
export {
  type Detection,
  decodeYolo,
  intersectionOverUnion,
  type Letterbox,
  letterboxOf,
  nonMaximumSuppression,
  type YoloLayout,
} from "./vision/yolo-decode.ts";
export { YoloDetector, type YoloModelSpec } from "./vision/yolo-detector.ts";
