import { type DictionaryColumn, isDictionaryColumn, type NativeColumn } from "./native-format.ts";
import { type Aggregate, HOUR_MS, inRollupRange, MINUTE_MS, planRollup, selectorWhere } from "./rollup-plan.ts";
import type { SeriesQuery } from "./series-sql.ts";

/** The aggregates a rollup row holds as plain values, which merge by sum, min and max. */
const PLAIN: Partial<Record<Aggregate, string>> = {
  avg: "value_sum",
  sum: "value_sum",
  min: "value_min",
  max: "value_max",
  count: "",
};

export interface RollupRowsSql {
  sql: string;
  params: Record<string, unknown>;
  /** The rollup table read. */
  source: "telemetry_1m" | "telemetry_1h";
}

/**
 * A bucket query that the rollup answers row for row — the step is the rollup's own bucket, the
 * range lies on its grid, and every aggregate is a plain one (avg, sum, min, max, count) — read as
 * the rollup's rows in key order, with no GROUP BY. What ClickHouse's GROUP BY did here is merging
 * rows of a bucket that sit in parts not merged yet; in key order such rows are neighbours and
 * {@link mergeRollupRows} merges them. Measured on a site's day of minutes (72,000 buckets, the
 * 5-million set): 122 ms with GROUP BY, 45 ms read in order (the aggregation's hash table was most
 * of it). Quantiles, first and last (sketch and argMin/argMax states), other steps and ragged ranges
 * keep the GROUP BY: undefined.
 */
export function rollupRowsSql(q: SeriesQuery): RollupRowsSql | undefined {
  if (q.stepMs === undefined || q.aggs.length === 0 || !q.aggs.every((a) => PLAIN[a] !== undefined)) return undefined;
  const plan = planRollup(q, q.stepMs, q.aggs);
  const width = plan.table === "telemetry_1h" ? HOUR_MS : plan.table === "telemetry_1m" ? MINUTE_MS : undefined;
  if (width !== q.stepMs || plan.rollupFrom !== q.from || plan.rollupTo !== q.to) return undefined;
  const { where, params } = selectorWhere(q);
  const values = [...new Set(q.aggs.map((a) => PLAIN[a]).filter((c) => c !== ""))];
  return {
    source: plan.table as RollupRowsSql["source"],
    params: {
      ...params,
      rollupFrom: plan.rollupFrom,
      rollupTo: plan.rollupTo,
      ...(q.limit === undefined ? {} : { limit: q.limit + 1 }),
    },
    // The table's sort key: read in order from each part, merged, not sorted (~2 ms over unordered).
    sql: `SELECT site, device, metric, toUnixTimestamp(bucket) * 1000 AS t, samples AS n, unit${values
      .map((c) => `, ${c}`)
      .join("")}
      FROM ${plan.table} WHERE ${inRollupRange(where)}
      ORDER BY site, device, metric, bucket ${q.limit === undefined ? "" : "LIMIT {limit:UInt64}"}`,
  };
}

/**
 * Rollup rows in key order, with the rows of one bucket merged into one (samples and sums added,
 * the least minimum, the greatest maximum), as the columns a GROUP BY answer has: site, device,
 * metric, t, n, unit and one per aggregate asked for. The columns are merged in place; `rows` is
 * the rows read. A bucket keeps its first row's unit: rows of one bucket in parts not merged yet
 * came newest part first (chdb), and which one `anyLast` takes is not promised either — a unit
 * that changed inside one minute not merged yet is the only case where it shows.
 */
export function mergeRollupRows(
  columns: Map<string, NativeColumn>,
  aggs: readonly Aggregate[],
): { columns: Map<string, NativeColumn>; rows: number } {
  const t = columns.get("t");
  if (t === undefined || !(t instanceof Float64Array)) return { columns, rows: 0 };
  const [site, device, metric, unit] = ["site", "device", "metric", "unit"].map((name) =>
    dictionaryOf(columns.get(name)),
  ) as [DictionaryColumn, DictionaryColumn, DictionaryColumn, DictionaryColumn];
  const n = columns.get("n") as Float64Array;
  const sum = columns.get("value_sum") as Float64Array | undefined;
  const min = columns.get("value_min") as Float64Array | undefined;
  const max = columns.get("value_max") as Float64Array | undefined;
  let out = -1;
  for (let i = 0; i < t.length; i++) {
    const same =
      out >= 0 &&
      t[i] === t[out] &&
      device.keys[i] === device.keys[out] &&
      metric.keys[i] === metric.keys[out] &&
      site.keys[i] === site.keys[out];
    if (!same) {
      out++;
      if (out !== i) {
        for (const c of [site, device, metric, unit]) c.keys[out] = c.keys[i] as number;
        for (const c of [t, n, sum, min, max]) if (c !== undefined) c[out] = c[i] as number;
      }
      continue;
    }
    n[out] = (n[out] as number) + (n[i] as number);
    if (sum !== undefined) sum[out] = (sum[out] as number) + (sum[i] as number);
    if (min !== undefined && (min[i] as number) < (min[out] as number)) min[out] = min[i] as number;
    if (max !== undefined && (max[i] as number) > (max[out] as number)) max[out] = max[i] as number;
  }
  const length = out + 1;
  const merged = new Map<string, NativeColumn>();
  for (const [name, c] of [
    ["site", site],
    ["device", device],
    ["metric", metric],
    ["unit", unit],
  ] as const) {
    merged.set(name, { dictionary: c.dictionary, keys: c.keys.subarray(0, length) });
  }
  merged.set("t", t.subarray(0, length));
  merged.set("n", n.subarray(0, length));
  for (const a of aggs) {
    if (a === "count") continue;
    if (a === "avg") {
      const avg = new Float64Array(length);
      // 0 samples (none in a rollup row) would be NaN, which the answer shows as null, as ClickHouse's 0/0.
      for (let i = 0; i < length; i++) avg[i] = (sum?.[i] as number) / (n[i] as number);
      merged.set("avg", avg);
    } else {
      const c = { sum, min, max }[a as "sum" | "min" | "max"];
      if (c !== undefined) merged.set(a, c.subarray(0, length));
    }
  }
  return { columns: merged, rows: t.length };
}

function dictionaryOf(c: NativeColumn | undefined): DictionaryColumn {
  if (c === undefined || !isDictionaryColumn(c)) return { dictionary: [""], keys: new Uint32Array(0) };
  return c;
}
