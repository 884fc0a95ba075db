import { type SeriesQuery, seriesSql } from "./series-sql.ts";

export const EXPORT_FORMATS = ["csv", "parquet"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** An export: raw readings (no step) or buckets, of any number of series, without a row limit. */
export type ExportQuery = Omit<SeriesQuery, "limit" | "fill">;

/**
 * The SQL of an export and its column names (a CSV header is written by the caller: a streamed
 * `CSVWithNames` repeats its header in every chunk). Times are UTC `DateTime64(3)`: text in CSV
 * (`2026-01-05 08:00:00.000`), a timestamp column in Parquet.
 */
export function exportSql(q: ExportQuery): { sql: string; params: Record<string, unknown>; columns: string[] } {
  const inner = seriesSql(q);
  const columns =
    q.stepMs === undefined
      ? ["site", "device", "metric", "ts", "value", "unit", "quality"]
      : ["site", "device", "metric", "ts", "count", ...q.aggs.filter((a) => a !== "count"), "unit"];
  const select = columns
    .map((c) => (c === "ts" ? "fromUnixTimestamp64Milli(toInt64(t), 'UTC') AS ts" : c === "count" ? "n AS count" : c))
    .join(", ");
  return { sql: `SELECT ${select} FROM (${inner.sql})`, params: inner.params, columns };
}
