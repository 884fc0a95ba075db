export { AlertError, type AlertErrorCode } from "./alerts/alert-error.ts";
export {
  AlertLifecycle,
  DEFAULT_LIFECYCLE_POLICY,
  type LifecycleOutput,
  type LifecyclePolicy,
} from "./alerts/alert-lifecycle.ts";
export { alertRoutes } from "./alerts/alert-routes.ts";
export {
  AlertService,
  type AlertServiceOptions,
  type AlertServiceStats,
  type SilenceInput,
} from "./alerts/alert-service.ts";
export { type Alerting, type AlertingOptions, startAlerting } from "./alerts/alerting.ts";
export { ruleRoutes } from "./alerts/rule-routes.ts";
export { checkAnswers } from "./answer-check.ts";
export { ApiError, type ApiErrorCode } from "./api-error.ts";
export { type ApiOptions, buildApi } from "./api-server.ts";
export { errorAnswerSchema, openApiDocument, type RouteDoc, type WebhookDoc } from "./openapi.ts";
export { ROUTE_DOCS, WEBHOOK_DOCS } from "./route-docs.ts";
export { ARROW_STREAM, seriesArrow } from "./series-arrow.ts";
export { MAX_POINTS, MAX_SERIES_ITEMS, seriesParamsSchema } from "./series-route.ts";
export { checkReadOnlySql } from "./sql-guard.ts";
export { DEFAULT_SQL_LIMITS, type SqlLimits, sqlRoute } from "./sql-route.ts";
export { durationParam, instantParam } from "./time-params.ts";
export {
  ALERTMANAGER_ZERO_TIME,
  type AlertmanagerAlert,
  type AlertmanagerMessage,
  type AlertmanagerStatus,
  alertmanagerPayload,
  alertmanagerStatus,
  LIFELINE_PAYLOAD_VERSION,
  type LifelinePayload,
  labelsFingerprint,
  lifelinePayload,
  type PayloadOptions,
  renderPayload,
} from "./webhooks/alert-payload.ts";
export {
  type DeadLetter,
  DeadLetters,
  type DeadLettersOptions,
  deadLetterKey,
  type ReplayResult,
  WEBHOOK_DEAD_LETTER_BUCKET,
} from "./webhooks/dead-letters.ts";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./webhooks/retry-backoff.ts";
export {
  SubscriberRegistry,
  WEBHOOK_SUBSCRIBER_BUCKET,
} from "./webhooks/subscriber-registry.ts";
export {
  DEFAULT_WEBHOOK_CONCURRENCY,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
  type WebhookStats,
} from "./webhooks/webhook-dispatcher.ts";
export { WebhookError, type WebhookErrorCode } from "./webhooks/webhook-error.ts";
export { webhookRoutes } from "./webhooks/webhook-routes.ts";
export {
  DEFAULT_TOLERANCE_SECONDS,
  IDEMPOTENCY_KEY_HEADER,
  signWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  webhookHeaders,
} from "./webhooks/webhook-signature.ts";
export {
  type PublicSubscriber,
  WEBHOOK_FORMATS,
  type WebhookFilter,
  type WebhookFormat,
  type WebhookSubscriber,
  type WebhookSubscriberInput,
  webhookSubscriberSchema,
} from "./webhooks/webhook-subscriber.ts";
