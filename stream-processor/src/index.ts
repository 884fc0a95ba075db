export {
  type AlertRuleSource,
  openAlertRuleBucket,
  type RuleOrigin,
  type RuleProblem,
  type SourcedRule,
  watchAlertRules,
} from "./alert-rule-source.ts";
export { AlertRulesConsumer, type AlertRulesOptions, type AlertRulesStats } from "./alert-rules-consumer.ts";
export { BatchConsumer, type BatchConsumerOptions, type BatchConsumerStats } from "./batch-consumer.ts";
export { dedupToken } from "./dedup-token.ts";
export {
  InferenceRunner,
  type InferenceSnapshot,
  type InferenceStats,
  type ModelScorer,
  SCORE_GATEWAY,
  type ScorerLoader,
} from "./inference/inference-runner.ts";
export { loadOnnxScorer } from "./inference/onnx-scorer-loader.ts";
export {
  type ReadyWindow,
  WindowRows,
  type WindowRowsSnapshot,
  type WindowRowsStats,
} from "./inference/window-rows.ts";
export {
  JetStreamPuller,
  type PullOptions,
  type PullResult,
  parseAckSubject,
  type StreamMessage,
} from "./jetstream-puller.ts";
export { type PendingInsert, PendingInserts } from "./pending-inserts.ts";
export {
  RULE_ENGINE_STATE_VERSION,
  RuleEngine,
  type RuleEngineOptions,
  type RuleEngineState,
  type RuleEngineStats,
} from "./rules/rule-engine.ts";
export { RuleEngineError, type RuleEngineErrorCode } from "./rules/rule-engine-error.ts";
export {
  type StreamProcessor,
  type StreamProcessorOptions,
  type StreamProcessorStats,
  startStreamProcessor,
} from "./stream-processor.ts";
