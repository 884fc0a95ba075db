import type { FillMode } from "./gap-fill.ts";
import { type Aggregate, aggregateSource, planRollup, type SeriesSelector, selectorWhere } from "./rollup-plan.ts";

export interface SeriesQuery extends SeriesSelector {
  /** Bucket width in ms; undefined returns the raw readings. */
  stepMs?: number | undefined;
  /** With a step: the aggregates of each bucket (at least one). */
  aggs: readonly Aggregate[];
  /** With a step: what empty buckets become (default none: left out). */
  fill?: FillMode | undefined;
  /**
   * At most this many points over all series; one more is read to tell whether the answer was
   * cut. Undefined (exports only): all of them.
   */
  limit?: number | undefined;
}

export interface SeriesSqlOptions {
  /** ORDER BY series and time (exports, answers cut at the limit); unordered is 20 ms faster per 72k buckets. */
  ordered?: boolean;
}

/** Builds the SQL and its bound parameters; aggregates come from a closed list, never from input. */
export function seriesSql(
  q: SeriesQuery,
  { ordered = true }: SeriesSqlOptions = {},
): { sql: string; params: Record<string, unknown>; source: string; columns: string[] } {
  if (q.stepMs === undefined) {
    const { where, params } = selectorWhere(q);
    const columns = ["site", "device", "metric", "t", "value", "quality", "unit"];
    return {
      source: "telemetry",
      columns,
      params: { ...params, from: q.from, to: q.to, ...limitParam(q) },
      // Output aliases must not shadow the `ts` column: ClickHouse resolves aliases in WHERE too.
      // Strings come back once per block as a dictionary, not once per row (see the unit below).
      sql: `SELECT site, device, metric, toUnixTimestamp64Milli(ts) AS t, value, toLowCardinality(toString(quality)) AS quality, unit
        FROM telemetry WHERE ${where}
          AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
        ${ordered ? "ORDER BY site, device, metric, ts" : ""} ${limitClause(q)}`,
    };
  }
  const plan = planRollup(q, q.stepMs, q.aggs);
  const src = aggregateSource(q, plan, q.aggs);
  // `count` is the bucket's `n`, computed once.
  const aggs = measuredAggregates(q.aggs)
    .map((a) => `, ${src.aggregate(a)} AS ${a}`)
    .join("");
  return {
    source: plan.table,
    columns: ["site", "device", "metric", "t", "n", "unit", ...measuredAggregates(q.aggs)],
    params: { ...src.params, step: q.stepMs, ...limitParam(q) },
    // anyLast of a LowCardinality column is a plain String: a site's day of minutes came back as
    // 72,000 unit strings, and decoding that answer took ~16 ms; as LowCardinality again ~2 ms, for
    // the same time in ClickHouse.
    sql: `SELECT site, device, metric, ${src.bucketOf("{step:UInt64}")} AS t, toUInt64(${src.count}) AS n,
        toLowCardinality(anyLast(unit)) AS unit${aggs}
      FROM ${src.from}
      GROUP BY site, device, metric, t ${ordered ? "ORDER BY site, device, metric, t" : ""} ${limitClause(q)}`,
  };
}

function limitParam(q: SeriesQuery): { limit?: number } {
  return q.limit === undefined ? {} : { limit: q.limit + 1 };
}

function limitClause(q: SeriesQuery): string {
  return q.limit === undefined ? "" : "LIMIT {limit:UInt64}";
}

/** The aggregates that are columns of their own: `count` is every bucket's `n`. */
export function measuredAggregates(aggs: readonly Aggregate[]): Exclude<Aggregate, "count">[] {
  return aggs.filter((a): a is Exclude<Aggregate, "count"> => a !== "count");
}
