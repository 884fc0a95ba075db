import { z } from "zod";
import { alertEventSchema } from "../alerts/alert-answers.ts";
import { epochMs } from "../answer-schemas.ts";
import { webhookStatsSchema } from "./webhook-dispatcher.ts";
import { storedSubscriberSchema } from "./webhook-subscriber.ts";

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

/** The body of a delivery in the `lifeline` format (`LifelinePayload`). */
export const lifelinePayloadSchema = z
  .strictObject({ version: z.literal(1), event: alertEventSchema })
  .describe("format lifeline: the alert event as stored, under a version of this envelope");

const labels = z.record(z.string(), z.string());
const alertmanagerStatus = z.enum(["firing", "resolved"]);

/** The body of a delivery in the `alertmanager` format (`AlertmanagerMessage`, Alertmanager's webhook version 4). */
export const alertmanagerPayloadSchema = z
  .strictObject({
    receiver: z.string().describe("The subscriber id"),
    status: alertmanagerStatus,
    alerts: z.array(
      z.strictObject({
        status: alertmanagerStatus,
        labels: labels.describe("alertname (the rule), site, device, kind, metric, severity (the level), level_colour"),
        annotations: labels.describe("summary, description"),
        startsAt: z.string().describe("RFC 3339"),
        endsAt: z.string().describe("RFC 3339; 0001-01-01T00:00:00Z while firing"),
        generatorURL: z.string(),
        fingerprint: z.string().regex(/^[0-9a-f]{16}$/),
      }),
    ),
    groupLabels: labels,
    commonLabels: labels,
    commonAnnotations: labels,
    externalURL: z.string(),
    version: z.literal("4"),
    groupKey: z.string(),
    truncatedAlerts: z.int().min(0),
  })
  .describe("format alertmanager: Prometheus Alertmanager's webhook body, version 4");
