import { idSchema } from "@lifeline/contracts";
import type { TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { checkFromBeforeTo, limitParam, parseQuery } from "./parse-query.ts";
import { instantParam } from "./time-params.ts";

export const MAX_GAPS = 10_000;

export const gapsParamsSchema = z
  .strictObject({
    site: idSchema.optional(),
    gateway: idSchema.optional(),
    from: instantParam.optional(),
    to: instantParam.optional(),
    limit: limitParam(MAX_GAPS).optional(),
  })
  .superRefine((p, ctx) => {
    checkFromBeforeTo(p, ctx);
  });

/**
 * `GET /v1/ingest/gaps?site=&gateway=&from=&to=`: envelopes lost at the source, as missing sequence
 * ranges per (site, gateway, boot) with counts, so that a loss is never silent. Ranges still being
 * backfilled by an agent after an outage show here until the backfill arrives.
 */
export function gapsRoute(store: TelemetryStore) {
  return async (app: FastifyInstance) => {
    app.get("/v1/ingest/gaps", async (request) => {
      const p = parseQuery(gapsParamsSchema, request.query);
      const gaps = await store.sequenceGaps({
        site: p.site,
        gateway: p.gateway,
        fromMs: p.from,
        toMs: p.to,
        limit: p.limit ?? MAX_GAPS,
      });
      return {
        site: p.site ?? null,
        gateway: p.gateway ?? null,
        from: p.from ?? null,
        to: p.to ?? null,
        missing: gaps.reduce((sum, g) => sum + g.missing, 0),
        gaps,
      };
    });
  };
}
