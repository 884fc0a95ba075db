import { idSchema, metricSchema } from "@lifeline/contracts";
import { z } from "zod";

const finite = z.number().refine(Number.isFinite, "expected a finite number");

const target = {
  device: idSchema.describe("Device id whose readings the rule applies to (an adapter id or a station's device)"),
  metric: metricSchema.describe("Metric of that device the rule applies to"),
};

/**
 * Edge rules run on the gateway between the adapter and the journal, per (device, metric):
 * - deadband: a reading is forwarded only when it differs from the last forwarded one by at least
 *   `absolute` (in the reading's unit) — a slow signal costs little uplink;
 * - min-interval: at most one reading per `ms`; later ones inside the interval are dropped;
 * - range: a reading outside [min, max] is forwarded with quality "bad" (a sensor fault, not a value).
 * Rules never change a value or its source time.
 */
export const deadbandRuleSchema = z.strictObject({
  ...target,
  kind: z.literal("deadband").describe("Forward a reading only when it moved by at least `absolute`"),
  absolute: finite
    .gt(0)
    .max(1e12)
    .describe("Smallest change from the last forwarded reading that is forwarded, in the reading's unit"),
});

export const minIntervalRuleSchema = z.strictObject({
  ...target,
  kind: z.literal("min-interval").describe("Forward at most one reading per `ms`"),
  ms: z.int().min(1).max(86_400_000).describe("At most one reading per this many milliseconds is forwarded"),
});

export const rangeRuleSchema = z
  .strictObject({
    ...target,
    kind: z.literal("range").describe("Mark readings outside [min, max] with quality bad"),
    min: finite.describe("Lowest plausible value; readings below it get quality bad"),
    max: finite.describe("Highest plausible value; readings above it get quality bad"),
  })
  .superRefine((rule, ctx) => {
    if (rule.max <= rule.min) {
      ctx.addIssue({
        code: "custom",
        path: ["max"],
        message: `expected max above min (${rule.min}), found ${rule.max}`,
      });
    }
  });

export const ruleSchema = z
  .discriminatedUnion("kind", [deadbandRuleSchema, minIntervalRuleSchema, rangeRuleSchema])
  .describe("An edge rule: deadband, min-interval or range");

export type EdgeRule = z.infer<typeof ruleSchema>;
export type EdgeRuleKind = EdgeRule["kind"];
