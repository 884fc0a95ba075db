import { idSchema, metricSchema } from "@lifeline/contracts";
import { z } from "zod";

/** The metadata key under which a served model carries its spec (JSON). */
export const MODEL_SPEC_KEY = "lifeline.spec";

/**
 * How a model is fed from the live stream and what it produces — what a user declares for a model
 * they bring, and what Lifeline's trainers write into their models. One row is the values of
 * `inputs` at one source time of one device; the model gets the last `window` rows as a float
 * tensor [batch, window, inputs.length] named `input`, and answers a score per window (output
 * `score`, shape [batch] or [batch, 1]) and optionally a 0/1 decision (`pred`).
 */
export const modelSpecSchema = z
  .strictObject({
    format: z.literal(1).describe("Version of this spec format"),
    name: idSchema.describe("Model name in the registry"),
    site: idSchema.describe("The site whose devices the model scores"),
    device: z
      .union([idSchema, z.literal("*")])
      .default("*")
      .describe("One device, or * for every device of the site with all the inputs"),
    inputs: z.array(metricSchema).min(1).max(4096).describe("Metrics of one row, in the model's feature order"),
    window: z.int().min(1).max(10_000).default(1).describe("Rows per inference"),
    stepMs: z
      .int()
      .min(1)
      .optional()
      .describe(
        "Rows are each input's average over steps of this length, stamped with the step's start — as a model trained on stored steps saw them; without it, one row per source time",
      ),
    maxRowGapMs: z
      .int()
      .min(1)
      .optional()
      .describe("Rows further apart than this start a new window (a gap in the data is not a continuous window)"),
    input: z.string().min(1).max(128).default("input").describe("Name of the model's input tensor"),
    score: z.string().min(1).max(128).default("score").describe("Name of the score output"),
    pred: z.string().min(1).max(128).optional().describe("Name of a 0/1 decision output, if the model has one"),
    scoreMetric: metricSchema.optional().describe("Metric the score is stored under (default score.<name>)"),
    predMetric: metricSchema.optional().describe("Metric the decision is stored under (default pred.<name>)"),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.inputs.forEach((m, i) => {
      if (seen.has(m)) ctx.addIssue({ code: "custom", path: ["inputs", i], message: `duplicate input ${m}` });
      seen.add(m);
    });
  });

export type ModelSpec = z.output<typeof modelSpecSchema>;
export type ModelSpecInput = z.input<typeof modelSpecSchema>;

export function scoreMetricOf(spec: ModelSpec): string {
  return spec.scoreMetric ?? `score.${spec.name}`;
}

export function predMetricOf(spec: ModelSpec): string {
  return spec.predMetric ?? `pred.${spec.name}`;
}
