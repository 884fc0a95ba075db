import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { type FillMode, fillGaps } from "./gap-fill.ts";
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

export interface RawPoint {
  ts: number;
  value: number;
  quality: string;
}

/** A bucket: its start, the readings in it, and a field per aggregate asked for (null where filled). */
export type BucketPoint = { ts: number; count: number } & Partial<Record<Aggregate, number | null>>;

export interface Series {
  site: string;
  device: string;
  metric: string;
  unit: string;
  points: RawPoint[] | BucketPoint[];
}

export interface SeriesResult {
  series: Series[];
  /** Which table answered: raw `telemetry`, or the 1-minute / 1-hour rollup (with raw at the ends). */
  source: string;
  truncated: boolean;
}

type Row = { site: string; device: string; metric: string; unit: string; t: number | string } & Record<string, unknown>;

/** Reads one or many series, raw or in buckets, each bucket from the cheapest exact source. */
export async function querySeries(driver: ClickHouseDriver, q: SeriesQuery): Promise<SeriesResult> {
  const { sql, params, source } = seriesSql(q);
  const rows = await driver.query<Row>(sql, params);
  const truncated = q.limit !== undefined && rows.length > q.limit;
  if (q.limit !== undefined && truncated) rows.length = q.limit;
  const series = new Map<string, Series>();
  for (const r of rows) {
    const key = `${r.site}\u0000${r.device}\u0000${r.metric}`;
    let s = series.get(key);
    if (s === undefined) {
      s = { site: r.site, device: r.device, metric: r.metric, unit: r.unit, points: [] };
      series.set(key, s);
    }
    (s.points as object[]).push(q.stepMs === undefined ? rawPoint(r) : bucketPoint(r, q.aggs));
  }
  const out = [...series.values()];
  if (q.stepMs !== undefined && (q.fill ?? "none") !== "none" && !truncated) {
    for (const s of out) s.points = fillGaps(s.points as BucketPoint[], q, q.stepMs, q.fill ?? "none");
  }
  return { series: out, source, truncated };
}

/** Builds the SQL and its bound parameters; aggregates come from a closed list, never from input. */
export function seriesSql(q: SeriesQuery): { sql: string; params: Record<string, unknown>; source: string } {
  if (q.stepMs === undefined) {
    const { where, params } = selectorWhere(q);
    return {
      source: "telemetry",
      params: { ...params, from: q.from, to: q.to, ...limitParam(q) },
      // Output aliases must not shadow the `ts` column: ClickHouse resolves aliases in WHERE too.
      sql: `SELECT site, device, metric, toUnixTimestamp64Milli(ts) AS t, value, toString(quality) AS quality, unit
        FROM telemetry WHERE ${where}
          AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
        ORDER BY site, device, metric, ts ${limitClause(q)}`,
    };
  }
  const plan = planRollup(q, q.stepMs, q.aggs);
  const src = aggregateSource(q, plan, q.aggs);
  const aggs = q.aggs.map((a) => `, ${src.aggregate(a)} AS ${a}`).join("");
  return {
    source: plan.table,
    params: { ...src.params, step: q.stepMs, ...limitParam(q) },
    sql: `SELECT site, device, metric, ${src.bucketOf("{step:UInt64}")} AS t, toUInt64(${src.count}) AS n,
        anyLast(unit) AS unit${aggs}
      FROM ${src.from}
      GROUP BY site, device, metric, t ORDER BY site, device, metric, t ${limitClause(q)}`,
  };
}

function limitParam(q: SeriesQuery): { limit?: number } {
  return q.limit === undefined ? {} : { limit: q.limit + 1 };
}

function limitClause(q: SeriesQuery): string {
  return q.limit === undefined ? "" : "LIMIT {limit:UInt64}";
}

function rawPoint(r: Row): RawPoint {
  return { ts: Number(r.t), value: r.value as number, quality: (r.quality as string | undefined) ?? "good" };
}

function bucketPoint(r: Row, aggs: readonly Aggregate[]): BucketPoint {
  const p: BucketPoint = { ts: Number(r.t), count: Number(r.n) };
  for (const a of aggs) if (a !== "count") p[a] = finite(r[a]);
  return p;
}

/** ClickHouse writes nan/inf as JSON null or strings; an aggregate over no values is null here. */
function finite(v: unknown): number | null {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}
