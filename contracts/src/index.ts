export {
  ENVELOPE_VERSION,
  type Envelope,
  envelopeId,
  envelopeSchema,
  MAX_READINGS_PER_ENVELOPE,
  MAX_SOURCE_TS,
  MIN_SOURCE_TS,
  QUALITIES,
  type Quality,
  type Reading,
  readingSchema,
} from "./envelope.ts";
export {
  type DecodeResult,
  decodeEnvelope,
  encodeEnvelope,
  formatPath,
  MAX_ENVELOPE_BYTES,
  tryDecodeEnvelope,
} from "./envelope-codec.ts";
export { EnvelopeError, type EnvelopeErrorCode, type EnvelopeIssue } from "./envelope-error.ts";
export { ID_PATTERN, idSchema, isId, METRIC_PATTERN, metricSchema } from "./identifiers.ts";
export { LifelineError } from "./lifeline-error.ts";
export { type Logger, silentLogger } from "./logger.ts";
export {
  CLICKHOUSE_SINK_CONSUMER,
  HEADER_QUARANTINE_CODE,
  HEADER_QUARANTINE_REASON,
  HEADER_SOURCE,
  MQTT_TELEMETRY_FILTER,
  MQTT_TELEMETRY_PREFIX,
  parseTelemetryTopic,
  QUARANTINE_SINK_CONSUMER,
  QUARANTINE_STREAM,
  QUARANTINE_SUBJECT_PREFIX,
  QUARANTINE_SUBJECTS,
  quarantineSubject,
  TELEMETRY_STREAM,
  TELEMETRY_SUBJECT_PREFIX,
  TELEMETRY_SUBJECTS,
  telemetrySubject,
  telemetryTopic,
} from "./names.ts";
