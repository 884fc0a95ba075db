import { ALERT_KINDS, ALERT_LEVELS, type AlertLevel, idSchema, levelRank } from "@lifeline/contracts";
import { z } from "zod";

export const WEBHOOK_FORMATS = ["lifeline", "alertmanager"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

const HOUR_MS = 3_600_000;
export const DEFAULT_DEAD_LETTER_AFTER_MS = HOUR_MS;
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** Shorter than the ALERTS stream keeps messages (7 days), so a retried event is never aged out under us. */
export const MAX_DEAD_LETTER_AFTER_MS = 24 * HOUR_MS;
export const MIN_SECRET_LENGTH = 16;

/** `dead-letters` is a path segment of the API (`/v1/webhooks/dead-letters`), so it cannot name a subscriber. */
export const webhookIdSchema = idSchema.refine((id) => id !== "dead-letters", "'dead-letters' is reserved");

/** Each listed value once; an empty list would select nothing, which is what leaving it out does not mean. */
function distinctList<T extends z.ZodType<string>>(item: T, what: string) {
  return z
    .array(item)
    .min(1, `expected at least one ${what}; leave the list out for every ${what}`)
    .max(64)
    .refine((list) => new Set(list).size === list.length, "expected each value once");
}

export const webhookFilterSchema = z
  .strictObject({
    sites: distinctList(idSchema, "site").optional().describe("Only these sites (absent: every site)"),
    levels: distinctList(z.enum(ALERT_LEVELS), "level").optional().describe("Only these levels (absent: every level)"),
    minLevel: z
      .enum(ALERT_LEVELS)
      .optional()
      .describe("Only this level and more severe ones (IV blue < III yellow < II orange < I red)"),
    kinds: distinctList(z.enum(ALERT_KINDS), "kind").optional().describe("Only alerts of these rule kinds"),
  })
  .superRefine(checkLevelsMeetMinLevel);
export type WebhookFilter = z.infer<typeof webhookFilterSchema>;

/** `levels` and `minLevel` together must leave a level: otherwise the subscriber would never hear anything. */
function checkLevelsMeetMinLevel(
  f: { levels?: AlertLevel[] | undefined; minLevel?: AlertLevel },
  ctx: z.RefinementCtx,
) {
  if (f.levels === undefined || f.minLevel === undefined) return;
  const min = levelRank(f.minLevel);
  if (!f.levels.some((l) => levelRank(l) >= min)) {
    ctx.addIssue({
      code: "custom",
      path: ["minLevel"],
      message: `minLevel ${f.minLevel} excludes every level in levels (${f.levels.join(", ")})`,
    });
  }
}

export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, hostname: z.regexes.hostname, error: "expected an http:// or https:// URL" })
  .max(2048);

export const webhookSecretSchema = z
  .string()
  .min(MIN_SECRET_LENGTH, `expected at least ${MIN_SECRET_LENGTH} characters`)
  .max(256)
  .describe("Key of the HMAC-SHA256 signature; write-only: never returned by the API");

/** Everything of a subscriber but its id (the PUT body, with the secret optional there). */
export const webhookSettingsSchema = z.strictObject({
  url: webhookUrlSchema.describe("Where events are POSTed"),
  secret: webhookSecretSchema,
  format: z
    .enum(WEBHOOK_FORMATS)
    .default("lifeline")
    .describe("`lifeline`: { version: 1, event }; `alertmanager`: Prometheus Alertmanager webhook v4"),
  filter: webhookFilterSchema.default({}).describe("Which events; an absent field selects everything"),
  deadLetterAfterMs: z
    .number()
    .int()
    .min(1_000)
    .max(MAX_DEAD_LETTER_AFTER_MS)
    .default(DEFAULT_DEAD_LETTER_AFTER_MS)
    .describe("How long a failing delivery is retried, from its first attempt, before it goes to the dead letters"),
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(60_000)
    .default(DEFAULT_WEBHOOK_TIMEOUT_MS)
    .describe("How long one request may take before it counts as failed"),
  enabled: z.boolean().default(true).describe("A disabled subscriber keeps its place in the stream"),
});

export const webhookSubscriberSchema = z.strictObject({
  id: webhookIdSchema.describe("Names the subscriber; sent as Lifeline-Webhook-Id"),
  ...webhookSettingsSchema.shape,
});
/** A subscriber as given (defaults may be left out). */
export type WebhookSubscriberInput = z.input<typeof webhookSubscriberSchema>;
export type WebhookSubscriber = z.output<typeof webhookSubscriberSchema>;

/** What the bucket holds: the subscriber and when it was created (its consumer starts there) and last changed. */
export const storedSubscriberSchema = webhookSubscriberSchema.extend({
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type StoredSubscriber = z.output<typeof storedSubscriberSchema>;

/** A subscriber as the API shows it: the secret is write-only. */
export type PublicSubscriber = Omit<StoredSubscriber, "secret">;

export function publicSubscriber(s: StoredSubscriber): PublicSubscriber {
  const { secret: _secret, ...rest } = s;
  return rest;
}
