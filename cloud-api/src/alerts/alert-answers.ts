import {
  ALERT_EVENT_VERSION,
  ALERT_KINDS,
  ALERT_LEVELS,
  ALERT_STATES,
  ALERT_TRANSITIONS,
  alertRuleSchema,
} from "@lifeline/contracts";
import { z } from "zod";
import { epochMs } from "../answer-schemas.ts";

/**
 * One transition of one alert (contracts' `AlertEvent`): what `GET /v1/alerts` lists, what the
 * commands answer, what webhooks deliver.
 */
export const alertEventSchema = z.strictObject({
  v: z.literal(ALERT_EVENT_VERSION),
  id: z.string().describe("Unique and stable: the idempotency key of a delivery"),
  alertId: z.string().describe("The alert (one episode of a key, from fired to closed)"),
  key: z.string().describe("rule/site/device: at most one open alert per key"),
  seq: z.int().positive().describe("Orders the transitions of one alert"),
  rule: z.string(),
  site: z.string(),
  device: z.string(),
  kind: z.enum(ALERT_KINDS),
  metric: z.string().optional(),
  transition: z.enum(ALERT_TRANSITIONS),
  state: z.enum(ALERT_STATES),
  level: z.enum(ALERT_LEVELS).describe("IV blue (least severe) … I red (most)"),
  at: epochMs.describe("Time of this transition"),
  firedAt: epochMs.describe("Source time of the reading that fired it"),
  resolvedAt: epochMs.optional(),
  value: z.number().optional(),
  summary: z.string(),
  evidence: z
    .looseObject({
      values: z.record(z.string(), z.number()).optional(),
      window: z.strictObject({ from: epochMs, to: epochMs, aggregate: z.string() }).optional(),
      threshold: z.number().optional(),
      snapshot: z.string().optional().describe("snapshots/<site>/<device>/<name>: GET /v1/snapshots/…"),
    })
    .describe("What the rule saw"),
  by: z.string().optional(),
  note: z.string().optional(),
  silenced: z.boolean().describe("Stored and listed, not sent (a silence matched)"),
  flapping: z.boolean(),
});

export const alertListAnswerSchema = z.strictObject({ truncated: z.boolean(), alerts: z.array(alertEventSchema) });

export const alertHistoryAnswerSchema = z.strictObject({
  alert: alertEventSchema.describe("Its current state: the latest transition"),
  history: z.array(alertEventSchema).describe("Every transition, first to last"),
});

export const silenceSchema = z.strictObject({
  id: z.uuid(),
  site: z.string(),
  device: z.string().describe("Empty: every device of the site"),
  rule: z.string().describe("Empty: every rule"),
  startsAt: epochMs,
  endsAt: epochMs,
  by: z.string(),
  comment: z.string(),
  createdAt: epochMs,
});

export const silenceListAnswerSchema = z.strictObject({ silences: z.array(silenceSchema) });

const ruleOrigin = z.discriminatedUnion("source", [
  z.strictObject({ source: z.literal("api") }),
  z.strictObject({ source: z.literal("profile"), gateway: z.string(), version: z.int().positive() }),
]);

/**
 * Each kind of rule with more fields (or fields made optional): a strict object cannot be
 * intersected, so every option is extended.
 */
export function rulesWith(fields: z.core.$ZodLooseShape) {
  const [first, ...rest] = alertRuleSchema.options.map((o) => o.safeExtend(fields));
  return z.discriminatedUnion("kind", [first as NonNullable<typeof first>, ...rest]);
}

export const ruleListAnswerSchema = z.strictObject({
  rules: z.array(rulesWith({ origin: ruleOrigin.describe("Declared through the API or in a gateway profile") })),
  problems: z
    .array(z.strictObject({ key: z.string(), message: z.string() }))
    .describe("Rules that could not be read, with why (not in force)"),
});

export const rulePutAnswerSchema = rulesWith({
  revision: z.int().positive().describe("The rule bucket's revision of this put"),
});

export const ruleDeleteAnswerSchema = z.strictObject({
  deleted: z.strictObject({ site: z.string(), id: z.string() }),
});
