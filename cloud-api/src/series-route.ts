import { idSchema, metricSchema } from "@lifeline/contracts";
import { AGGREGATES, bucketCount, FILL_MODES, StoreError, type TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ApiError } from "./api-error.ts";
import { checkFromBeforeTo, limitParam, listParam, parseQuery, selectorOf } from "./parse-query.ts";
import { ARROW_STREAM, seriesArrow } from "./series-arrow.ts";
import { durationParam, instantParam } from "./time-params.ts";
import { tzParam } from "./time-zone.ts";

/** More points than this in one answer would be a download, not a chart: use the export. */
export const MAX_POINTS = 100_000;
export const MAX_SERIES_ITEMS = 500;
const DEFAULT_RANGE_MS = 3_600_000;

export const seriesParamsSchema = z
  .strictObject({
    site: idSchema.optional().describe("Only this site; with no device, all its devices"),
    device: listParam(idSchema, MAX_SERIES_ITEMS).optional().describe("Devices, comma-separated"),
    metric: listParam(metricSchema, MAX_SERIES_ITEMS).optional().describe("Metrics, comma-separated (default: all)"),
    from: instantParam.optional().describe("Start, inclusive: epoch ms or ISO 8601 (default: an hour before to)"),
    to: instantParam.optional().describe("End, exclusive: epoch ms or ISO 8601 (default: now)"),
    step: durationParam.optional().describe("Bucket width such as 1m, 1h; without it the raw readings"),
    tz: tzParam.optional(),
    agg: listParam(z.enum(["raw", ...AGGREGATES]), AGGREGATES.length)
      .optional()
      .describe("Aggregates per bucket, comma-separated (default avg with a step, raw without)"),
    fill: z.enum(FILL_MODES).optional().describe("What empty buckets become (default none)"),
    layout: z
      .enum(["rows", "columns", "grid"])
      .optional()
      .describe(
        "rows: a list of points (default); columns: one array per field, half the bytes, what chart libraries take; " +
          "grid (with a step): one time axis `ts` for all series and each series' fields aligned to it, a wide table",
      ),
    format: z
      .enum(["json", "arrow"])
      .optional()
      .describe(
        "json (default), or arrow: an Apache Arrow IPC stream, one row per point, the envelope in the schema's metadata (pandas, polars, DuckDB read it as is)",
      ),
    limit: limitParam(MAX_POINTS).optional().describe(`At most this many points in all (default ${MAX_POINTS})`),
  })
  .superRefine((p, ctx) => {
    checkFromBeforeTo(p, ctx);
    if (p.site === undefined && p.device === undefined) {
      ctx.addIssue({ code: "custom", path: ["device"], message: "expected a device, or a site for all its devices" });
    }
    const raw = p.agg?.includes("raw") ?? p.step === undefined;
    if (raw && p.agg !== undefined && p.agg.length > 1) {
      ctx.addIssue({ code: "custom", path: ["agg"], message: "agg=raw returns readings as stored and goes alone" });
    } else if (raw && p.step !== undefined) {
      ctx.addIssue({ code: "custom", path: ["agg"], message: "agg=raw returns readings as stored and takes no step" });
    } else if (!raw && p.step === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["step"],
        message: `agg=${p.agg?.join(",")} needs a step, such as step=1m`,
      });
    }
    if (p.format === "arrow" && p.layout !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["layout"],
        message: "layout shapes JSON answers; an Arrow answer is always one column per field",
      });
    }
    if (p.layout === "grid" && p.step === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["layout"],
        message: "layout=grid needs a step, such as step=1m: raw readings share no time axis",
      });
    }
    if (p.fill !== undefined && p.fill !== "none" && p.step === undefined) {
      ctx.addIssue({ code: "custom", path: ["fill"], message: "fill needs a step, such as step=1m" });
    }
  });

/**
 * `GET /v1/series?site=&device=&metric=&from=&to=&step=&agg=&fill=`: the readings of one or many
 * series in [from, to), raw (no step) or in buckets of `step` with one field per aggregate. The
 * 1-minute or 1-hour rollup answers when the step is a multiple of it (`source` says which), with
 * raw readings for the ends of the range that do not cover a whole rollup bucket: the same answer
 * as from raw readings, for any range. Times are source times in epoch milliseconds.
 */
export function seriesRoute(store: TelemetryStore, now: () => number) {
  return async (app: FastifyInstance) => {
    app.get("/v1/series", async (request, reply) => {
      const p = parseQuery(seriesParamsSchema, request.query);
      const to = p.to ?? now();
      const from = p.from ?? to - DEFAULT_RANGE_MS;
      if (from >= to) throw new ApiError("API_BAD_PARAMETER", "from: expected from to be before to", "from");
      const limit = p.limit ?? MAX_POINTS;
      const selector = selectorOf(p, from, to);
      if (p.fill !== undefined && p.fill !== "none" && p.step !== undefined) {
        const buckets = bucketCount(from, to, p.step, selector.bucketOffsetMs);
        if (buckets > limit) {
          const why = `fill=${p.fill} makes ${buckets} buckets per series, more than the limit of ${limit}; use a larger step or a shorter range`;
          throw new ApiError("API_BAD_PARAMETER", `fill: ${why}`, "fill");
        }
      }
      const aggs = p.step === undefined ? [] : ((p.agg ?? ["avg"]) as (typeof AGGREGATES)[number][]);
      const q = { ...selector, stepMs: p.step, aggs, fill: p.fill, limit };
      const agg = p.step === undefined ? ["raw"] : aggs;
      const envelope = { from, to, step: p.step ?? null, agg, fill: p.fill ?? "none", tz: p.tz ?? "UTC" };
      if (p.format === "arrow") {
        const result = await store.seriesColumns(q);
        const fields = p.step === undefined ? ["value", "quality"] : ["count", ...aggs.filter((a) => a !== "count")];
        const meta = { ...envelope, source: result.source, truncated: result.truncated };
        const bytes = seriesArrow(result.series, fields, meta);
        return reply.type(ARROW_STREAM).send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      }
      if (p.layout === "grid") {
        const grid = await store.seriesGrid(q).catch((error: unknown) => {
          if (!(error instanceof StoreError && error.code === "STORE_GRID_TOO_LARGE")) throw error;
          throw new ApiError("API_BAD_PARAMETER", `layout: ${error.message}`, "layout");
        });
        return {
          ...envelope,
          layout: "grid",
          source: grid.source,
          truncated: grid.truncated,
          ts: grid.ts,
          series: grid.series,
        };
      }
      // Columns are made straight from ClickHouse's columns, with no object per point.
      const result = p.layout === "columns" ? await store.seriesColumns(q) : await store.series(q);
      return {
        ...envelope,
        layout: p.layout ?? "rows",
        source: result.source,
        truncated: result.truncated,
        series: result.series,
      };
    });
  };
}
