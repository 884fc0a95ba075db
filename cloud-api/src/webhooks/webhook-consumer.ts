import { ALERT_STREAM } from "@lifeline/contracts";
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamManager,
} from "@nats-io/jetstream";
import { filterSubjects } from "./webhook-filter.ts";
import type { StoredSubscriber } from "./webhook-subscriber.ts";

/** The durable consumer of a subscriber on ALERTS (ids are subject-safe, so valid consumer names). */
export function webhookConsumerName(subscriberId: string): string {
  return `webhook-${subscriberId}`;
}

export interface WebhookConsumerLimits {
  /** JetStream redelivers an event not acknowledged (nor marked in progress) within this time. */
  ackWaitMs: number;
  /** Events handed out and not yet acknowledged: what one subscriber can hold in memory. */
  maxAckPending: number;
  /** nats-server ≥ 2.10: several filter subjects in one consumer. */
  multipleSubjects: boolean;
}

const ns = (ms: number) => ms * 1_000_000; // JetStream durations are nanoseconds

/**
 * Creates the subscriber's consumer, or brings its filter and limits up to date. A new consumer
 * starts at the subscriber's creation time: the events published since it was created, none older.
 * A server that refuses to change a consumer's filter gets a new consumer that starts after the
 * old one's acknowledgement floor: events acknowledged above the floor come again (same
 * Idempotency-Key), none is skipped.
 */
export async function ensureWebhookConsumer(
  jsm: JetStreamManager,
  subscriber: StoredSubscriber,
  limits: WebhookConsumerLimits,
): Promise<ConsumerInfo> {
  const name = webhookConsumerName(subscriber.id);
  const { subjects } = filterSubjects(subscriber.filter, limits);
  const filter =
    subjects.length === 1
      ? { filter_subject: subjects[0], filter_subjects: undefined }
      : { filter_subject: undefined, filter_subjects: subjects };
  const settings = { ack_wait: ns(limits.ackWaitMs), max_ack_pending: limits.maxAckPending, max_deliver: -1 };
  const fresh = (start: Partial<ConsumerConfig>): Partial<ConsumerConfig> => ({
    durable_name: name,
    ack_policy: AckPolicy.Explicit,
    ...start,
    ...settings,
    ...filter,
  });
  let info: ConsumerInfo;
  try {
    info = await jsm.consumers.info(ALERT_STREAM, name);
  } catch (error) {
    if (!isConsumerNotFound(error)) throw error;
    return jsm.consumers.add(
      ALERT_STREAM,
      fresh({ deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(subscriber.createdAt).toISOString() }),
    );
  }
  const c = info.config;
  if (
    sameSubjects(c, subjects) &&
    c.ack_wait === settings.ack_wait &&
    c.max_ack_pending === settings.max_ack_pending &&
    c.max_deliver === settings.max_deliver
  ) {
    return info;
  }
  try {
    return await jsm.consumers.update(ALERT_STREAM, name, { ...settings, ...filter });
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.consumers.delete(ALERT_STREAM, name);
    return jsm.consumers.add(
      ALERT_STREAM,
      fresh({ deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: info.ack_floor.stream_seq + 1 }),
    );
  }
}

/** Deletes the subscriber's consumer (its place in the stream is gone); true if there was one. */
export async function deleteWebhookConsumer(jsm: JetStreamManager, subscriberId: string): Promise<boolean> {
  try {
    return await jsm.consumers.delete(ALERT_STREAM, webhookConsumerName(subscriberId));
  } catch (error) {
    if (isConsumerNotFound(error)) return false;
    throw error;
  }
}

function sameSubjects(c: Partial<ConsumerConfig>, subjects: readonly string[]): boolean {
  const current = c.filter_subjects?.length ? c.filter_subjects : c.filter_subject ? [c.filter_subject] : [];
  return current.length === subjects.length && [...current].sort().join(" ") === [...subjects].sort().join(" ");
}

export function isConsumerNotFound(error: unknown): boolean {
  return error instanceof Error && /consumer not found/i.test(error.message);
}
