import { idSchema } from "@lifeline/contracts";
import type { TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseQuery } from "./parse-query.ts";
import { instantParam } from "./time-params.ts";

export const MAX_GAPS = 10_000;

export const gapsParamsSchema = z
  .strictObject({
    gateway: idSchema.optional(),
    from: instantParam.optional(),
    to: instantParam.optional(),
    limit: z
      .string()
      .regex(/^\d+$/, "expected a whole number")
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_GAPS))
      .optional(),
  })
  .superRefine((p, ctx) => {
    if (p.from !== undefined && p.to !== undefined && p.from >= p.to) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "expected from to be before to" });
    }
  });

/**
 * `GET /v1/ingest/gaps?gateway=&from=&to=`: envelopes lost at the source, as missing sequence
 * ranges per (gateway, boot) with counts, so that a loss is never silent. Ranges still being
 * backfilled by an agent after an outage show here until the backfill arrives.
 */
export function gapsRoute(store: TelemetryStore) {
  return async (app: FastifyInstance) => {
    app.get("/v1/ingest/gaps", async (request) => {
      const p = parseQuery(gapsParamsSchema, request.query);
      const gaps = await store.sequenceGaps({
        gateway: p.gateway,
        fromMs: p.from,
        toMs: p.to,
        limit: p.limit ?? MAX_GAPS,
      });
      return {
        gateway: p.gateway ?? null,
        from: p.from ?? null,
        to: p.to ?? null,
        missing: gaps.reduce((sum, g) => sum + g.missing, 0),
        gaps,
      };
    });
  };
}
