import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { type Aggregate, aggregateSource, planRollup, type SeriesSelector } from "./rollup-plan.ts";

export interface TopQuery extends SeriesSelector {
  /** Rank buckets of this width (e.g. hourly averages); undefined ranks whole series over the range. */
  stepMs?: number | undefined;
  agg: Aggregate;
  n: number;
  order: "desc" | "asc";
}

export interface TopEntry {
  site: string;
  device: string;
  metric: string;
  unit: string;
  /** The bucket's start with a step; null when whole series are ranked. */
  ts: number | null;
  value: number;
  count: number;
}

/**
 * The N highest (or lowest) aggregates across series: "the 10 highest PM10 hourly averages across
 * sites in 24 h", "the 10 sensors with the highest maximum over 7 days". Ties keep a stable order
 * by site, device, metric, time.
 */
export async function queryTop(driver: ClickHouseDriver, q: TopQuery): Promise<TopEntry[]> {
  const plan = planRollup(q, q.stepMs, [q.agg]);
  const src = aggregateSource(q, plan, [q.agg]);
  const bucket = q.stepMs === undefined ? "toInt64(0)" : src.bucketOf("{step:UInt64}");
  const rows = await driver.query<{
    site: string;
    device: string;
    metric: string;
    unit: string;
    t: number | string;
    value: number;
    n: number | string;
  }>(
    `SELECT site, device, metric, ${bucket} AS t, ${src.aggregate(q.agg)} AS value, toUInt64(${src.count}) AS n,
        anyLast(unit) AS unit
      FROM ${src.from}
      GROUP BY site, device, metric, t
      HAVING n > 0 AND isFinite(value)
      ORDER BY value ${q.order === "asc" ? "ASC" : "DESC"}, site, device, metric, t
      LIMIT {n:UInt32}`,
    { ...src.params, step: q.stepMs ?? 1, n: q.n },
  );
  return rows.map((r) => ({
    site: r.site,
    device: r.device,
    metric: r.metric,
    unit: r.unit,
    ts: q.stepMs === undefined ? null : Number(r.t),
    value: r.value,
    count: Number(r.n),
  }));
}
