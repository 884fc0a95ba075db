import {
  ALERT_CONDITION_STREAM,
  ALERT_CONDITION_SUBJECTS,
  ALERT_STREAM,
  ALERT_SUBJECTS,
  QUARANTINE_STREAM,
  QUARANTINE_SUBJECTS,
  TELEMETRY_STREAM,
  TELEMETRY_SUBJECTS,
} from "@lifeline/contracts";
import {
  DiscardPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";

export interface StreamLimits {
  /** How long JetStream remembers message ids to drop replays; must cover the longest replay. */
  duplicateWindowMs: number;
  /** How long messages are kept after they were written, consumed or not. */
  maxAgeMs: number;
  /** Bytes kept per stream; when full, new publishes are refused rather than old data dropped. */
  maxBytes: number;
  /**
   * Copies kept on different nodes of a JetStream cluster (`num_replicas`; 1 if absent). 3 keeps
   * accepting and keeps every stored message when one node dies; more than 1 needs a cluster.
   */
  replicas?: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  duplicateWindowMs: 2 * 60 * 60 * 1000,
  maxAgeMs: 7 * 24 * 60 * 60 * 1000,
  maxBytes: 8 * 1024 ** 3,
  replicas: 1,
};

const ms = (n: number) => n * 1_000_000; // JetStream durations are nanoseconds

function streamConfig(name: string, subjects: string, limits: StreamLimits): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [subjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // Refuse new messages when full: the publisher then stops acknowledging upstream and the
    // edge keeps its data, instead of the stream silently dropping unconsumed old readings.
    discard: DiscardPolicy.New,
    duplicate_window: ms(limits.duplicateWindowMs),
    max_age: ms(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    num_replicas: limits.replicas ?? 1,
  };
}

/**
 * Creates the telemetry, quarantine and alert streams, or brings their limits up to date.
 * Idempotent. The alert streams (conditions from the rule engine; alert events, the webhook
 * outbox) share the telemetry limits: an alert is kept at least as long as the readings behind it.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  limits: StreamLimits = DEFAULT_STREAM_LIMITS,
): Promise<void> {
  for (const [name, subjects] of [
    [TELEMETRY_STREAM, TELEMETRY_SUBJECTS],
    [QUARANTINE_STREAM, QUARANTINE_SUBJECTS],
    [ALERT_CONDITION_STREAM, ALERT_CONDITION_SUBJECTS],
    [ALERT_STREAM, ALERT_SUBJECTS],
  ] as const) {
    const config = streamConfig(name, subjects, limits);
    try {
      await jsm.streams.info(name);
      await jsm.streams.update(name, config);
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      await jsm.streams.add(config);
    }
  }
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof Error && /stream not found/i.test(error.message);
}
