import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { fillGaps } from "./gap-fill.ts";
import {
  columnValues,
  type DictionaryColumn,
  decodeNative,
  isDictionaryColumn,
  type NativeColumn,
  toDictionaryColumn,
} from "./native-format.ts";
import type { Aggregate } from "./rollup-plan.ts";
import { mergeRollupRows, rollupRowsSql } from "./rollup-rows.ts";
import { measuredAggregates, type SeriesQuery, seriesSql } from "./series-sql.ts";
import { StoreError } from "./store-error.ts";

export type { SeriesQuery };

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

/** A series with one array per field instead of a list of points (`ts`, `count`, the aggregates; or `ts`, `value`, `quality`). */
export type SeriesColumns = Omit<Series, "points"> & { columns: Record<string, unknown[]> };

export interface SeriesColumnsResult {
  series: SeriesColumns[];
  source: string;
  truncated: boolean;
}

/**
 * Reads one or many series, raw or in buckets, each bucket from the cheapest exact source.
 *
 * Measured on a site's 50 series over a day of minutes (72,000 buckets): ClickHouse reads and
 * groups the rollup in about 26 ms; handed over as JSONCompactColumns text and parsed it took
 * ~100 ms more, as `Native` columns and decoded 15–20 ms (`decodeNative`), so that is the format.
 * Buckets come unordered (ordering them in ClickHouse cost 20 ms) and are put in order here per
 * series by their slot on the step's grid. Each bucket carries its unit (`anyLast(unit)`: ~4 ms of
 * the ~40 ms on that site's day at 100 M readings, where a second query on the series index cost
 * every stepped query ~5 ms). Only an answer cut at the limit is read again in order, so that it is
 * the first points. Buckets the rollup holds row for row (its own step, a range on its grid, plain
 * aggregates) are read as its rows, in order, without GROUP BY (rollup-rows.ts).
 */
export async function querySeries(driver: ClickHouseDriver, q: SeriesQuery): Promise<SeriesResult> {
  const answer = await readAnswer(driver, q);
  const out = answer.groups.map((g) => ({ ...g.meta, points: g.points() }));
  let truncated = answer.truncated;
  if (q.stepMs !== undefined && (q.fill ?? "none") !== "none" && !truncated) {
    // Filled buckets count against the limit too: the grid is cut where the limit falls.
    let room = q.limit ?? Number.POSITIVE_INFINITY;
    for (const s of out) {
      const filled = fillGaps(s.points as BucketPoint[], q, q.stepMs, q.fill ?? "none");
      if (filled.length > room) truncated = true;
      s.points = filled.slice(0, Math.max(0, room));
      room -= s.points.length;
    }
  }
  return { series: out, source: answer.source, truncated };
}

/**
 * The same answer with one array per field: what charts take, made straight from ClickHouse's
 * columns with no object per point (72,000 of them were a third of the time). Gap filling works on
 * points, so a filled answer is made as points and turned.
 */
export async function querySeriesColumns(driver: ClickHouseDriver, q: SeriesQuery): Promise<SeriesColumnsResult> {
  if (q.stepMs !== undefined && (q.fill ?? "none") !== "none") {
    const r = await querySeries(driver, q);
    return { ...r, series: r.series.map(seriesToColumns) };
  }
  const answer = await readAnswer(driver, q);
  return {
    series: answer.groups.map((g) => ({ ...g.meta, columns: g.columns() })),
    source: answer.source,
    truncated: answer.truncated,
  };
}

/** A series with `points: [{ts, avg}, …]` as `columns: { ts: […], avg: […] }`. */
export function seriesToColumns(s: Series): SeriesColumns {
  const { points, ...rest } = s;
  const columns: Record<string, unknown[]> = {};
  const keys = points[0] === undefined ? [] : Object.keys(points[0]);
  for (const key of keys) columns[key] = (points as unknown as Record<string, unknown>[]).map((p) => p[key] ?? null);
  return { ...rest, columns };
}

interface SeriesGroup {
  meta: Omit<Series, "points">;
  points(): RawPoint[] | BucketPoint[];
  columns(): Record<string, unknown[]>;
}

/** The answer read, series in key order, each able to give its points or its columns in time order. */
async function readAnswer(
  driver: ClickHouseDriver,
  q: SeriesQuery,
): Promise<{ groups: SeriesGroup[]; source: string; truncated: boolean }> {
  const direct = rollupRowsSql(q);
  if (direct !== undefined) {
    const read = mergeRollupRows(await readColumns(driver, direct), q.aggs);
    const buckets = numbers(read.columns.get("t")).length;
    // Rows come in key order, so the buckets before the last one read are whole; when the limit
    // cut rows that merged into no more buckets than the limit, whether more follow is unknown:
    // then the GROUP BY below answers.
    if (q.limit === undefined || read.rows <= q.limit || buckets > q.limit) {
      const truncated = q.limit !== undefined && buckets > q.limit;
      const { groups } = groupSeries(read.columns, q, truncated ? q.limit : undefined);
      return { groups: inKeyOrder(groups), source: direct.source, truncated };
    }
  }
  // A unit per bucket (the rollup's anyLast) costs ~0.3 ms; looking the units up apart in the series
  // index cost ~5 ms, as chdb runs parameterised queries one after the other (Q1 on 5 M readings).
  const unordered = seriesSql(q, { ordered: false });
  let { groups, points } = groupSeries(await readColumns(driver, unordered), q);
  const truncated = q.limit !== undefined && points > q.limit;
  if (q.limit !== undefined && truncated) {
    const ordered = seriesSql(q, { ordered: true });
    ({ groups, points } = groupSeries(await readColumns(driver, ordered), q, q.limit));
  }
  return { groups: inKeyOrder(groups), source: unordered.source, truncated };
}

function inKeyOrder(groups: Map<string, SeriesGroup>): SeriesGroup[] {
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

/** Native: the columns as ClickHouse holds them, no number printed and parsed (see decodeNative). */
async function readColumns(
  driver: ClickHouseDriver,
  built: { sql: string; params: Record<string, unknown> },
): Promise<Map<string, NativeColumn>> {
  return decodeNative(await driver.queryBytes(built.sql, built.params, "Native"));
}

/**
 * The columns of a {@link seriesSql} answer, at most `max` rows, grouped into series; each column
 * is found by its name.
 */
function groupSeries(
  columns: Map<string, NativeColumn>,
  q: SeriesQuery,
  max = Number.POSITIVE_INFINITY,
): { groups: Map<string, SeriesGroup>; points: number } {
  const ts = numbers(columns.get("t"));
  const rows = Math.min(ts.length, max);
  const measured = measuredAggregates(q.aggs).map((agg) => [agg, columnValues(columns.get(agg) ?? [])] as const);
  const values = columnValues(columns.get("value") ?? []);
  const qualities = columnValues(columns.get("quality") ?? []);
  const units = columns.get("unit");
  const counts = numbers(columns.get("n"));
  const seriesOf = groupRows(
    ["site", "device", "metric"].map((name) => keysOf(columns.get(name), ts.length)) as [
      DictionaryColumn,
      DictionaryColumn,
      DictionaryColumn,
    ],
    rows,
  );
  const groups = new Map<string, SeriesGroup>();
  for (const { site, device, metric, rows: seriesRows } of seriesOf) {
    const unit = units === undefined ? "" : String(valueAt(units, latestRow(seriesRows, ts)) ?? "");
    const meta = { site, device, metric, unit };
    const order = () => inTimeOrder(seriesRows, ts, q.stepMs);
    groups.set(
      seriesKey(site, device, metric),
      q.stepMs === undefined
        ? {
            meta,
            points: () =>
              Array.from(order(), (i) => ({
                ts: ts[i] as number,
                value: Number(values[i]),
                quality: String(qualities[i]),
              })),
            columns: () => {
              const o = order();
              return {
                ts: pick(o, ts),
                value: Array.from(o, (i) => Number(values[i])),
                quality: Array.from(o, (i) => String(qualities[i])),
              };
            },
          }
        : {
            meta,
            points: () => bucketPoints(order(), ts, counts, measured),
            columns: () => {
              const o = order();
              const out: Record<string, unknown[]> = { ts: pick(o, ts), count: pick(o, counts) };
              for (const [agg, aggValues] of measured) out[agg] = pickFinite(o, aggValues);
              return out;
            },
          },
    );
  }
  return { groups, points: ts.length };
}

/** A series' latest row: its unit is the series' unit (a device whose unit changed shows today's). */
function latestRow(rows: Int32Array, ts: ArrayLike<number>): number {
  let latest = rows[0] as number;
  for (const i of rows) if ((ts[i] as number) > (ts[latest] as number)) latest = i;
  return latest;
}

/** A string column as a key per row: LowCardinality columns come that way, others are numbered here. */
function keysOf(c: NativeColumn | undefined, rows: number): DictionaryColumn {
  if (c === undefined) return { dictionary: [""], keys: new Uint32Array(rows) };
  return isDictionaryColumn(c) ? c : toDictionaryColumn(c);
}

/**
 * The first `rows` rows grouped by (site, device, metric) keys, in one counting pass: unordered
 * answers change series at almost every row, so no string key is built per row and no list grows.
 * Each series comes with its first row and its row indices, ascending.
 */
function groupRows(
  [sites, devices, metrics]: [DictionaryColumn, DictionaryColumn, DictionaryColumn],
  rows: number,
): { site: string; device: string; metric: string; first: number; rows: Int32Array }[] {
  const nd = devices.dictionary.length;
  const nm = metrics.dictionary.length;
  const combos = sites.dictionary.length * nd * nm;
  // A dense table when the combinations are few (one site's devices), else a map.
  const dense = combos <= 1 << 16 ? new Int32Array(combos).fill(-1) : undefined;
  const sparse = dense === undefined ? new Map<number, number>() : undefined;
  const groupOfRow = new Int32Array(rows);
  const firsts: number[] = [];
  for (let i = 0; i < rows; i++) {
    const combo = ((sites.keys[i] as number) * nd + (devices.keys[i] as number)) * nm + (metrics.keys[i] as number);
    let g = dense !== undefined ? (dense[combo] as number) : (sparse?.get(combo) ?? -1);
    if (g < 0) {
      g = firsts.push(i) - 1;
      if (dense !== undefined) dense[combo] = g;
      else sparse?.set(combo, g);
    }
    groupOfRow[i] = g;
  }
  const start = new Int32Array(firsts.length + 1);
  for (let i = 0; i < rows; i++) (start[(groupOfRow[i] as number) + 1] as number)++;
  for (let g = 0; g < firsts.length; g++) start[g + 1] = (start[g + 1] as number) + (start[g] as number);
  const next = start.slice(0, firsts.length);
  const indices = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const g = groupOfRow[i] as number;
    indices[(next[g] as number)++] = i;
  }
  return firsts.map((first, g) => ({
    site: sites.dictionary[sites.keys[first] as number] as string,
    device: devices.dictionary[devices.keys[first] as number] as string,
    metric: metrics.dictionary[metrics.keys[first] as number] as string,
    first,
    rows: indices.subarray(start[g], start[g + 1]),
  }));
}

/** A numeric column (or none, for no rows). */
function numbers(c: NativeColumn | undefined): ArrayLike<number> {
  if (c === undefined) return [];
  if (isDictionaryColumn(c)) throw new StoreError("STORE_QUERY_FAILED", "expected a numeric column, got strings");
  return c as ArrayLike<number>;
}

function valueAt(c: NativeColumn, i: number): string | number | null | undefined {
  return isDictionaryColumn(c) ? c.dictionary[c.keys[i] as number] : c[i];
}

/**
 * `values` at the given rows, as a plain array (a typed array's own map would give a typed array).
 * Grown by push: a preallocated `new Array(n)` has holes, and JSON.stringify took twice as long on it.
 */
function pick(order: ArrayLike<number>, values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < order.length; k++) out.push(values[order[k] as number] as number);
  return out;
}

/** An aggregate's values at the given rows, null where not finite (see {@link finite}). */
function pickFinite(order: ArrayLike<number>, values: ArrayLike<unknown>): (number | null)[] {
  const out: (number | null)[] = [];
  for (let k = 0; k < order.length; k++) out.push(finite(values[order[k] as number]));
  return out;
}

function bucketPoints(
  order: ArrayLike<number>,
  ts: ArrayLike<number>,
  counts: ArrayLike<number>,
  measured: readonly (readonly [Exclude<Aggregate, "count">, ArrayLike<unknown>])[],
): BucketPoint[] {
  const points: BucketPoint[] = new Array(order.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    const p: BucketPoint = { ts: ts[i] as number, count: counts[i] as number };
    for (let a = 0; a < measured.length; a++) {
      const [agg, aggValues] = measured[a] as (typeof measured)[number];
      p[agg] = finite(aggValues[i]);
    }
    points[k] = p;
  }
  return points;
}

/**
 * A series' row indices ordered by time. Buckets lie on a grid of `stepMs` and are unique per
 * series, so they are placed by their slot (no comparisons: a comparator sort of 72,000 buckets
 * cost more than reading them); raw readings are sorted unless already in order.
 */
function inTimeOrder(indices: Int32Array, ts: ArrayLike<number>, stepMs: number | undefined): Int32Array {
  let sorted = true;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < indices.length; k++) {
    const t = ts[indices[k] as number] as number;
    if (k > 0 && t < (ts[indices[k - 1] as number] as number)) sorted = false;
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (sorted) return indices;
  const byComparison = () => indices.slice().sort((a, b) => (ts[a] as number) - (ts[b] as number));
  const slots = stepMs === undefined ? Number.POSITIVE_INFINITY : (max - min) / stepMs + 1;
  if (!Number.isInteger(slots) || slots > 4 * indices.length + 1024) return byComparison();
  const bySlot = new Int32Array(slots).fill(-1);
  for (const i of indices) {
    const slot = ((ts[i] as number) - min) / (stepMs as number);
    // Off the grid or taken twice (not a bucket answer after all): compare instead.
    if (!Number.isInteger(slot) || (bySlot[slot] as number) >= 0) return byComparison();
    bySlot[slot] = i;
  }
  const out = new Int32Array(indices.length);
  let n = 0;
  for (const i of bySlot) if (i >= 0) out[n++] = i;
  return out;
}

const seriesKey = (site: string, device: string, metric: string) => `${site}\u0000${device}\u0000${metric}`;

/** An aggregate over no values (`nan`, `inf`: JSON null or a string from ClickHouse) is null here. */
function finite(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}
