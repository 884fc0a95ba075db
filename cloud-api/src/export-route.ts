import { Readable } from "node:stream";
import { idSchema, metricSchema } from "@lifeline/contracts";
import { AGGREGATES, type TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { checkFromBeforeTo, listParam, parseQuery, selectorOf } from "./parse-query.ts";
import { MAX_SERIES_ITEMS } from "./series-route.ts";
import { durationParam, instantParam } from "./time-params.ts";
import { tzParam } from "./time-zone.ts";

export const exportParamsSchema = z
  .strictObject({
    format: z.enum(["csv", "parquet"]).optional().describe("csv (default) or parquet"),
    site: idSchema.optional().describe("Only this site; with no device, all its devices"),
    device: listParam(idSchema, MAX_SERIES_ITEMS).optional().describe("Devices, comma-separated"),
    metric: listParam(metricSchema, MAX_SERIES_ITEMS).optional().describe("Metrics, comma-separated (default: all)"),
    from: instantParam.describe("Start, inclusive: epoch ms or ISO 8601"),
    to: instantParam.describe("End, exclusive: epoch ms or ISO 8601"),
    step: durationParam.optional().describe("Buckets of this width instead of raw readings"),
    tz: tzParam.optional(),
    agg: listParam(z.enum(AGGREGATES), AGGREGATES.length).optional().describe("Aggregates per bucket (default avg)"),
  })
  .superRefine((p, ctx) => {
    checkFromBeforeTo(p, ctx);
    if (p.site === undefined && p.device === undefined) {
      ctx.addIssue({ code: "custom", path: ["device"], message: "expected a device, or a site for all its devices" });
    }
    if (p.agg !== undefined && p.step === undefined) {
      ctx.addIssue({ code: "custom", path: ["step"], message: "agg needs a step, such as step=1h" });
    }
  });

const CONTENT_TYPE = { csv: "text/csv; charset=utf-8", parquet: "application/vnd.apache.parquet" };

/**
 * `GET /v1/export?format=csv|parquet&…`: raw readings or buckets as a file, streamed from
 * ClickHouse at the pace the client reads — a 10-million-row export holds one chunk in memory, not
 * the file. A query that fails after the first bytes ends the response abruptly, so the client
 * sees a broken transfer, never a short file that looks whole. A client that goes away stops the
 * query.
 */
export function exportRoute(store: TelemetryStore) {
  return async (app: FastifyInstance) => {
    app.get("/v1/export", async (request, reply) => {
      const p = parseQuery(exportParamsSchema, request.query);
      const format = p.format ?? "csv";
      const abort = new AbortController();
      request.raw.on("close", () => abort.abort());
      const query = {
        ...selectorOf(p, p.from, p.to),
        stepMs: p.step,
        aggs: p.step === undefined ? [] : (p.agg ?? ["avg"]),
      };
      const name = `lifeline-${p.site ?? p.device?.[0] ?? "export"}-${new Date(p.from).toISOString()}`;
      reply
        .header("content-type", CONTENT_TYPE[format])
        .header("content-disposition", `attachment; filename="${name.replace(/[:.]/g, "")}.${format}"`);
      return reply.send(Readable.from(store.export(query, format, abort.signal), { objectMode: false }));
    });
  };
}
