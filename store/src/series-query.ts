/** Aggregates a stepped series query can ask for. `last`/`first` take the value by source time. */
export const AGGREGATES = ["avg", "min", "max", "sum", "count", "first", "last", "p50", "p95", "p99"] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export interface SeriesQuery {
  site?: string | undefined;
  device: string;
  metric: string;
  /** Inclusive, milliseconds since the epoch. */
  from: number;
  /** Exclusive, milliseconds since the epoch. */
  to: number;
  /** Bucket width in milliseconds; undefined returns the raw readings. */
  stepMs?: number | undefined;
  agg: Aggregate;
  /** At most this many points; one more is read to tell whether the answer was cut. */
  limit: number;
}

export interface RawPoint {
  ts: number;
  value: number;
  quality: string;
}

export interface BucketPoint {
  ts: number;
  value: number;
  count: number;
}

export interface SeriesResult {
  unit: string;
  points: RawPoint[] | BucketPoint[];
  truncated: boolean;
}

const AGGREGATE_SQL: Record<Aggregate, string> = {
  avg: "avg(value)",
  min: "min(value)",
  max: "max(value)",
  sum: "sum(value)",
  count: "toFloat64(count())",
  first: "argMin(value, ts)",
  last: "argMax(value, ts)",
  p50: "quantile(0.5)(value)",
  p95: "quantile(0.95)(value)",
  p99: "quantile(0.99)(value)",
};

const WHERE = `device = {device:String} AND metric = {metric:String}
  AND ({site:String} = '' OR site = {site:String})
  AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

/** Builds the SQL and its bound parameters; the aggregate comes from a closed list, never from input. */
export function seriesSql(q: SeriesQuery): { sql: string; params: Record<string, unknown> } {
  const params = {
    device: q.device,
    metric: q.metric,
    site: q.site ?? "",
    from: q.from,
    to: q.to,
    limit: q.limit + 1,
    step: q.stepMs ?? 0,
  };
  if (q.stepMs === undefined) {
    return {
      params,
      // Output aliases must not shadow the \`ts\` column: ClickHouse resolves aliases in WHERE too.
      sql: `SELECT toUnixTimestamp64Milli(ts) AS t, value, toString(quality) AS quality, unit
        FROM telemetry WHERE ${WHERE}
        ORDER BY ts LIMIT {limit:UInt32}`,
    };
  }
  return {
    params,
    sql: `SELECT intDiv(toUnixTimestamp64Milli(ts), {step:UInt64}) * {step:UInt64} AS t,
        ${AGGREGATE_SQL[q.agg]} AS value, toUInt32(count()) AS count, any(unit) AS unit
      FROM telemetry WHERE ${WHERE}
      GROUP BY t ORDER BY t LIMIT {limit:UInt32}`,
  };
}
