import { idSchema, metricSchema } from "@lifeline/contracts";
import { AGGREGATES, type TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { checkFromBeforeTo, limitParam, listParam, parseQuery, selectorOf } from "./parse-query.ts";
import { MAX_SERIES_ITEMS } from "./series-route.ts";
import { durationParam, instantParam } from "./time-params.ts";
import { tzParam } from "./time-zone.ts";

export const MAX_TOP = 1_000;

export const topParamsSchema = z
  .strictObject({
    metric: listParam(metricSchema, MAX_SERIES_ITEMS).describe("Metrics to rank, comma-separated"),
    site: idSchema.optional().describe("Only this site (default: all sites)"),
    device: listParam(idSchema, MAX_SERIES_ITEMS).optional().describe("Only these devices, comma-separated"),
    from: instantParam.describe("Start, inclusive: epoch ms or ISO 8601"),
    to: instantParam.describe("End, exclusive: epoch ms or ISO 8601"),
    step: durationParam.optional().describe("Rank buckets of this width (e.g. 1h); without it whole series"),
    tz: tzParam.optional(),
    agg: z.enum(AGGREGATES).optional().describe("What is ranked (default max)"),
    n: limitParam(MAX_TOP).optional().describe("How many (default 10)"),
    order: z.enum(["desc", "asc"]).optional().describe("desc: the highest first (default); asc: the lowest"),
  })
  .superRefine((p, ctx) => checkFromBeforeTo(p, ctx));

/**
 * `GET /v1/top?metric=pm10&from=&to=&step=1h&agg=avg&n=10`: the N highest (or lowest) aggregates
 * across series — "the 10 highest PM10 hourly averages across sites in 24 h" — or, without a step,
 * the N series ranked over the whole range ("top 10 sensors by maximum over 7 days").
 */
export function topRoute(store: TelemetryStore) {
  return async (app: FastifyInstance) => {
    app.get("/v1/top", async (request) => {
      const p = parseQuery(topParamsSchema, request.query);
      const q = {
        ...selectorOf(p, p.from, p.to),
        stepMs: p.step,
        agg: p.agg ?? "max",
        n: p.n ?? 10,
        order: p.order ?? "desc",
      } as const;
      const { bucketOffsetMs: _offset, ...asked } = q;
      return { ...asked, step: p.step ?? null, tz: p.tz ?? "UTC", entries: await store.top(q) };
    });
  };
}
