import { idSchema, metricSchema } from "@lifeline/contracts";
import { AGGREGATES, type TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ApiError } from "./api-error.ts";
import { checkFromBeforeTo, limitParam, parseQuery } from "./parse-query.ts";
import { durationParam, instantParam } from "./time-params.ts";

/** More points than this in one answer would be a download, not a chart: use the export. */
export const MAX_POINTS = 100_000;
const DEFAULT_RANGE_MS = 3_600_000;

export const seriesParamsSchema = z
  .strictObject({
    site: idSchema.optional(),
    device: idSchema,
    metric: metricSchema,
    from: instantParam.optional(),
    to: instantParam.optional(),
    step: durationParam.optional(),
    agg: z.enum(["raw", ...AGGREGATES]).optional(),
    limit: limitParam(MAX_POINTS).optional(),
  })
  .superRefine((p, ctx) => {
    checkFromBeforeTo(p, ctx);
    if (p.agg !== undefined && p.agg !== "raw" && p.step === undefined) {
      ctx.addIssue({ code: "custom", path: ["step"], message: `agg=${p.agg} needs a step, such as step=1m` });
    }
    if (p.agg === "raw" && p.step !== undefined) {
      ctx.addIssue({ code: "custom", path: ["agg"], message: "agg=raw returns readings as stored and takes no step" });
    }
  });

/**
 * `GET /v1/series?device=&metric=&from=&to=&step=&agg=`: the readings of one metric of one
 * device in [from, to), raw (no step) or aggregated into buckets of `step` (default agg: avg).
 * Time stamps are the readings' source times, in epoch milliseconds.
 */
export function seriesRoute(store: TelemetryStore, now: () => number) {
  return async (app: FastifyInstance) => {
    app.get("/v1/series", async (request) => {
      const p = parseQuery(seriesParamsSchema, request.query);
      const to = p.to ?? now();
      const from = p.from ?? to - DEFAULT_RANGE_MS;
      if (from >= to) throw new ApiError("API_BAD_PARAMETER", "from: expected from to be before to", "from");
      const agg = p.agg === undefined || p.agg === "raw" ? (p.step === undefined ? "raw" : "avg") : p.agg;
      const result = await store.series({
        site: p.site,
        device: p.device,
        metric: p.metric,
        from,
        to,
        stepMs: p.step,
        agg: agg === "raw" ? "avg" : agg,
        limit: p.limit ?? MAX_POINTS,
      });
      return {
        site: p.site ?? null,
        device: p.device,
        metric: p.metric,
        unit: result.unit,
        from,
        to,
        step: p.step ?? null,
        agg,
        truncated: result.truncated,
        points: result.points,
      };
    });
  };
}
