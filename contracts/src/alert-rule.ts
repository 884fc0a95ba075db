import { z } from "zod";
import { ALERT_LEVELS, type AlertKind, type AlertLevel, ruleIdSchema } from "./alert.ts";
import { UTC_OFFSET_PATTERN } from "./device-config/hj212-tables.ts";
import { idSchema, metricSchema } from "./identifiers.ts";

/** The kinds of rule the stream processor's rule engine evaluates (video alerts come from elsewhere). */
export const ALERT_RULE_KINDS = [
  "threshold",
  "model",
  "rate",
  "window",
  "daily-exceedance",
  "stale",
  "flatline",
  "combined",
] as const satisfies readonly AlertKind[];
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** A device id, or `*` for every device of the site that reports the rule's metric(s). */
export const RULE_DEVICE_PATTERN = /^(\*|[A-Za-z0-9_-]{1,64})$/;

const durationMs = (what: string, max = WEEK_MS) =>
  z
    .int(`expected an integer number of milliseconds`)
    .min(1, "expected at least 1 ms")
    .max(max, `expected at most ${max} ms`)
    .describe(what);

/** Fields every rule has. */
const ruleBase = {
  id: ruleIdSchema.describe("Rule id, unique among the rules; part of the alert key (rule, site, device)"),
  site: idSchema.describe("Site whose readings the rule applies to"),
  device: z
    .string()
    .regex(RULE_DEVICE_PATTERN, "expected a device id (1-64 characters of A-Z, a-z, 0-9, '_' or '-') or '*'")
    .describe("Device the rule applies to, or '*' for every device of the site that reports the metric(s)"),
  name: z.string().min(1).max(120).optional().describe("Short human name shown with the alert"),
  description: z.string().max(2_000).optional().describe("What the rule watches and why; for operators"),
  enabled: z.boolean().default(true).describe("A disabled rule is not evaluated; its open conditions are cleared"),
};

const levelsOf = (value: z.ZodNumber, unit: string) =>
  z
    .strictObject({
      IV: value.optional().describe(`IV (blue, least severe): ${unit}`),
      III: value.optional().describe(`III (yellow): ${unit}`),
      II: value.optional().describe(`II (orange): ${unit}`),
      I: value.optional().describe(`I (red, most severe): ${unit}`),
    })
    .refine((l) => ALERT_LEVELS.some((level) => l[level] !== undefined), "expected at least one of IV, III, II, I")
    .describe(`Levels of the four-level warning scale that the rule raises, each with ${unit}`);

const valueLevels = levelsOf(z.number(), "the limit the measure must be past");
const countLevels = levelsOf(z.int().min(1).max(10_000), "the number of exceeding windows in a local day");
const durationLevels = levelsOf(z.int().min(1).max(WEEK_MS), "a duration in ms");

const direction = z
  .enum(["above", "below"])
  .describe("above: a level is reached when the measure exceeds it; below: when it falls under it");
const hysteresis = z
  .number()
  .min(0, "expected a hysteresis of at least 0")
  .default(0)
  .describe("A level is left only once the measure is back past its limit by this much (absolute, in its unit)");
const forMs = z
  .int()
  .min(0)
  .max(WEEK_MS)
  .default(0)
  .describe("How long (source time) the measure must stay past a level before the level is raised");
const aggregate = z.enum(["avg", "max", "min"]).describe("How the readings of a window are reduced to one value");
const utcOffset = z
  .string()
  .regex(UTC_OFFSET_PATTERN, "expected a UTC offset like +08:00")
  .default("+08:00")
  .describe("UTC offset of the local clock that windows and days are aligned to (HJ 212 period values use +08:00)");
const minSamples = z
  .int()
  .min(1)
  .max(1_000_000)
  .default(1)
  .describe("A window with fewer readings is not judged: incomplete data is not an exceedance");
const metric = metricSchema.describe("Metric the rule watches");

export const thresholdRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("threshold").describe("Compare each reading with the levels"),
    metric,
    direction,
    levels: valueLevels,
    hysteresis,
    forMs,
  })
  .superRefine((rule, ctx) => checkMonotone(rule.levels, rule.direction === "above", ctx));

export const modelRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("model").describe("Compare a model's score with the levels, like a threshold"),
    model: idSchema.describe("Name of the model whose score is watched"),
    metric: metricSchema.optional().describe("Metric carrying the score; score.<model> when absent"),
    direction: direction.default("above"),
    levels: valueLevels,
    hysteresis,
    forMs,
  })
  .superRefine((rule, ctx) => checkMonotone(rule.levels, rule.direction === "above", ctx));

export const rateRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("rate").describe("Compare the speed of a rise or fall with the levels"),
    metric,
    per: durationMs("Time unit of the rate in ms (60000: per minute, 3600000: per hour)"),
    overMs: durationMs("Span the rate is taken over: (latest - value at or before latest-overMs) / elapsed × per"),
    direction: z
      .enum(["rise", "fall"])
      .describe("rise: levels are speeds of increase; fall: speeds of decrease (both positive)"),
    levels: levelsOf(z.number().min(0, "expected a speed of at least 0"), "a speed (positive) in unit per `per`"),
    hysteresis,
    forMs,
  })
  .superRefine((rule, ctx) => checkMonotone(rule.levels, true, ctx));

export const windowRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("window").describe("Compare a window's aggregate (e.g. a 15-min average) with the levels"),
    metric,
    windowMs: durationMs("Length of the window in ms (900000: 15 min, 3600000: 1 h)"),
    aggregate: aggregate.default("avg"),
    alignment: z
      .enum(["clock", "sliding"])
      .default("clock")
      .describe("clock: windows aligned to the local clock, judged when they close; sliding: judged at each reading"),
    utcOffset,
    minSamples,
    direction,
    levels: valueLevels,
    hysteresis,
  })
  .superRefine((rule, ctx) => {
    if (rule.alignment === "clock") checkDividesDay(rule.windowMs, ctx);
    checkMonotone(rule.levels, rule.direction === "above", ctx);
  });

export const dailyExceedanceRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("daily-exceedance").describe("Count the windows of the local day whose aggregate passed a limit"),
    metric,
    windowMs: durationMs("Length of the counted windows in ms (3600000: hourly values)", DAY_MS),
    aggregate: aggregate.default("avg"),
    limit: z.number().describe("A window whose aggregate is past this limit counts as an exceedance"),
    direction: direction.default("above"),
    minSamples,
    utcOffset,
    levels: countLevels,
  })
  .superRefine((rule, ctx) => {
    checkDividesDay(rule.windowMs, ctx);
    checkMonotone(rule.levels, true, ctx);
  });

export const staleRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("stale").describe("Raise when a device (or one of its metrics) has been silent too long"),
    metric: metricSchema.optional().describe("Metric whose silence is watched; absent: any reading of the device"),
    levels: durationLevels.describe("Levels, each with the silence (ms) after which it is raised"),
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("A device listed by id that has never reported is stale from this time (ISO 8601)"),
  })
  .superRefine((rule, ctx) => {
    checkMonotone(rule.levels, true, ctx);
    if (rule.since !== undefined && rule.device === "*") {
      ctx.addIssue({ code: "custom", path: ["since"], message: "expected since only with a device id, not '*'" });
    }
  });

export const flatlineRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("flatline").describe("Raise when a metric is stuck: its readings stay within a tolerance"),
    metric,
    tolerance: z
      .number()
      .min(0)
      .default(0)
      .describe("Readings within this distance of the first of the run count as unchanged"),
    levels: durationLevels.describe("Levels, each with how long (ms) the value must stay stuck"),
  })
  .superRefine((rule, ctx) => checkMonotone(rule.levels, true, ctx));

export const COMBINED_OPS = [">", ">=", "<", "<="] as const;
export type CombinedOp = (typeof COMBINED_OPS)[number];

export const combinedTermSchema = z
  .strictObject({
    metric: metricSchema.describe("Metric of the device this term looks at"),
    measure: z
      .enum(["value", "rate", "avg"])
      .default("value")
      .describe("value: the latest reading; rate: its change per `per` over overMs; avg: its average over overMs"),
    overMs: durationMs("Span of a rate or avg measure in ms").optional(),
    per: durationMs("Time unit of a rate measure in ms (600000: per 10 min)").optional(),
    op: z.enum(COMBINED_OPS).describe("How the measure is compared with `value`"),
    value: z.number().describe("What the measure is compared with"),
  })
  .superRefine((term, ctx) => {
    if (term.measure !== "value" && term.overMs === undefined) {
      ctx.addIssue({ code: "custom", path: ["overMs"], message: `expected overMs for measure ${term.measure}` });
    }
    if (term.measure === "value" && term.overMs !== undefined) {
      ctx.addIssue({ code: "custom", path: ["overMs"], message: "expected no overMs for measure value" });
    }
    if (term.measure === "rate" && term.per === undefined) {
      ctx.addIssue({ code: "custom", path: ["per"], message: "expected per for measure rate" });
    }
    if (term.measure !== "rate" && term.per !== undefined) {
      ctx.addIssue({ code: "custom", path: ["per"], message: `expected no per for measure ${term.measure}` });
    }
  });

const terms = z.array(combinedTermSchema).min(2, "expected at least 2 terms").max(8, "expected at most 8 terms");

export const combinedRuleSchema = z
  .strictObject({
    ...ruleBase,
    kind: z.literal("combined").describe("Raise one level when all (or any) of several terms hold"),
    all: terms.optional().describe("Terms that must all hold"),
    any: terms.optional().describe("Terms of which at least one must hold"),
    level: z.enum(ALERT_LEVELS).describe("The level raised while the terms hold"),
    forMs,
  })
  .superRefine((rule, ctx) => {
    if (rule.all !== undefined && rule.any !== undefined) {
      ctx.addIssue({ code: "custom", path: ["any"], message: "expected exactly one of all or any, found both" });
    }
    if (rule.all === undefined && rule.any === undefined) {
      ctx.addIssue({ code: "custom", path: ["all"], message: "expected exactly one of all or any, found neither" });
    }
  });

export const alertRuleSchema = z
  .discriminatedUnion("kind", [
    thresholdRuleSchema,
    modelRuleSchema,
    rateRuleSchema,
    windowRuleSchema,
    dailyExceedanceRuleSchema,
    staleRuleSchema,
    flatlineRuleSchema,
    combinedRuleSchema,
  ])
  .describe("An alert rule evaluated by the stream processor on the readings of a site");

export const alertRulesSchema = z
  .array(alertRuleSchema)
  .superRefine((rules, ctx) => {
    const first = new Map<string, number>();
    rules.forEach((rule, i) => {
      const seen = first.get(rule.id);
      if (seen === undefined) first.set(rule.id, i);
      else ctx.addIssue({ code: "custom", path: [i, "id"], message: `duplicate rule id ${rule.id} (also at ${seen})` });
    });
  })
  .describe("The alert rules, with unique ids");

export type AlertRule = z.output<typeof alertRuleSchema>;
export type AlertRuleInput = z.input<typeof alertRuleSchema>;
export type ThresholdRule = z.output<typeof thresholdRuleSchema>;
export type ModelRule = z.output<typeof modelRuleSchema>;
export type RateRule = z.output<typeof rateRuleSchema>;
export type WindowRule = z.output<typeof windowRuleSchema>;
export type DailyExceedanceRule = z.output<typeof dailyExceedanceRuleSchema>;
export type StaleRule = z.output<typeof staleRuleSchema>;
export type FlatlineRule = z.output<typeof flatlineRuleSchema>;
export type CombinedRule = z.output<typeof combinedRuleSchema>;
export type CombinedTerm = z.output<typeof combinedTermSchema>;
export type AlertRuleLevels = Partial<Record<AlertLevel, number>>;

/** The metric a model rule watches: its `metric`, or `score.<model>`. */
export function modelScoreMetric(rule: Pick<ModelRule, "model" | "metric">): string {
  return rule.metric ?? `score.${rule.model}`;
}

/** The metrics whose readings a rule looks at; empty for a stale rule on any reading of the device. */
export function alertRuleMetrics(rule: AlertRule): string[] {
  switch (rule.kind) {
    case "model":
      return [modelScoreMetric(rule)];
    case "stale":
      return rule.metric === undefined ? [] : [rule.metric];
    case "combined":
      return [...new Set((rule.all ?? rule.any ?? []).map((t) => t.metric))];
    default:
      return [rule.metric];
  }
}

/**
 * Levels must grow in the direction of severity: for `above` (and for counts, speeds and
 * durations) IV < III < II < I; for `below` the reverse. The message names the level that breaks it.
 */
function checkMonotone(levels: AlertRuleLevels, ascending: boolean, ctx: z.RefinementCtx): void {
  let previous: [AlertLevel, number] | undefined;
  for (const level of ALERT_LEVELS) {
    const value = levels[level];
    if (value === undefined) continue;
    if (previous !== undefined && (ascending ? value <= previous[1] : value >= previous[1])) {
      const relation = ascending ? "above" : "below";
      ctx.addIssue({
        code: "custom",
        path: ["levels", level],
        message: `expected level ${level} (${value}) ${relation} level ${previous[0]} (${previous[1]}): a more severe level must be ${relation} a less severe one`,
      });
    }
    previous = [level, value];
  }
}

/** Clock windows must tile the local day, so that each starts at a multiple of its length after midnight. */
function checkDividesDay(windowMs: number, ctx: z.RefinementCtx): void {
  if (DAY_MS % windowMs !== 0) {
    ctx.addIssue({
      code: "custom",
      path: ["windowMs"],
      message: `expected a windowMs that divides a day (${DAY_MS} ms) for clock-aligned windows, found ${windowMs}`,
    });
  }
}
