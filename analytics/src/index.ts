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
