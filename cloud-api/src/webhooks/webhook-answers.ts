import { z } from "zod";
import { alertEventSchema } from "../alerts/alert-answers.ts";
import { storedSubscriberSchema } from "./webhook-subscriber.ts";

const epochMs = z.int().describe("Epoch milliseconds");

/** A subscriber's delivery counters (`WebhookStats`). */
export const webhookStatsSchema = z.strictObject({
  delivered: z.int().min(0).describe("Events the subscriber answered with a 2xx"),
  retried: z.int().min(0).describe("Failed attempts that were followed by another"),
  deadLettered: z.int().min(0),
  skipped: z.int().min(0).describe("Acknowledged without sending: outside the filter, silenced or flapping"),
  invalid: z.int().min(0).describe("Messages that were not alert events"),
  inFlight: z.int().min(0).describe("Taken from the stream and not yet acknowledged"),
  lastDeliveredAt: epochMs.nullable(),
  lastError: z.string().nullable(),
  lastStatus: z.int().nullable(),
  state: z.enum(["running", "stopped", "failed"]).describe("stopped: disabled; failed: its consumer could not start"),
});

/** A subscriber as the API shows it: everything but the secret, with its counters. */
export const webhookAnswerSchema = storedSubscriberSchema.omit({ secret: true }).extend({ stats: webhookStatsSchema });

export const webhookListAnswerSchema = z.strictObject({ webhooks: z.array(webhookAnswerSchema) });

export const deadLetterListAnswerSchema = z.strictObject({
  truncated: z.boolean(),
  deadLetters: z.array(
    z.strictObject({
      subscriber: z.string(),
      event: alertEventSchema,
      attempts: z.int().positive(),
      firstAttemptAt: epochMs,
      lastAttemptAt: epochMs,
      lastError: z.string(),
      lastStatus: z.int().nullable().describe("HTTP status of the last attempt; null when nothing answered"),
    }),
  ),
});

export const replayAnswerSchema = z.strictObject({
  replayed: z.array(z.string()).describe("Event ids delivered and removed from the dead letters, in the order sent"),
  failed: z.array(z.strictObject({ eventId: z.string(), status: z.int().nullable(), error: z.string() })),
});
