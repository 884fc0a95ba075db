import type { SeriesColumnsResult } from "./series-query.ts";
import { StoreError } from "./store-error.ts";

/** A series on the answer's shared time axis: `columns.count[i]` and each aggregate's `[i]` are bucket `ts[i]`. */
export interface GridSeries {
  site: string;
  device: string;
  metric: string;
  unit: string;
  columns: Record<string, (number | null)[]>;
}

export interface SeriesGridResult {
  /** Every bucket start any series has, ascending: the time axis of all of them. */
  ts: number[];
  series: GridSeries[];
  source: string;
  truncated: boolean;
}

/**
 * Buckets of many series on one time axis — a wide table, as dashboards draw a site's sensors
 * side by side (uPlot's `[xs, ys1, ys2, …]`, a data frame with a column per sensor).
 *
 * Why it exists: a site's day of minutes (50 series × 1,440) as `layout=columns` repeats the same
 * 1,440 bucket starts 50 times, and 13-digit times are the costliest numbers to print and parse.
 * On one axis they are printed once. A series with no bucket where another has one gets count 0
 * and null aggregates there, as `fill=null` would give it.
 */
export function seriesGrid(answer: SeriesColumnsResult, maxCells = Number.POSITIVE_INFINITY): SeriesGridResult {
  const ts = timeAxis(answer.series.map((s) => s.columns.ts as number[]));
  // Series whose buckets do not line up multiply: 1,000 series of 100 buckets each at other times
  // would be 100 million cells. Checked before any is made.
  const cells = ts.length * answer.series.length;
  if (cells > maxCells) {
    throw new StoreError(
      "STORE_GRID_TOO_LARGE",
      `layout=grid makes ${cells} cells (${answer.series.length} series × ${ts.length} times), more than the limit of ${maxCells}; use layout=columns, fewer series or a larger step`,
    );
  }
  let slot: Map<number, number> | undefined;
  const series = answer.series.map(({ columns, ...meta }) => {
    const own = columns.ts as number[];
    // Its buckets are distinct and among the axis', so as many of them as the axis has are all of them.
    const whole = own.length === ts.length;
    const out: Record<string, (number | null)[]> = {};
    for (const [field, values] of Object.entries(columns)) {
      if (field === "ts") continue;
      if (whole) {
        out[field] = values as (number | null)[];
        continue;
      }
      slot ??= new Map(ts.map((t, i) => [t, i]));
      const cells: (number | null)[] = new Array(ts.length).fill(field === "count" ? 0 : null);
      for (let k = 0; k < own.length; k++) cells[slot.get(own[k] as number) as number] = values[k] as number | null;
      out[field] = cells;
    }
    return { ...meta, columns: out };
  });
  return { ts, series, source: answer.source, truncated: answer.truncated };
}

/**
 * The ascending union of the series' bucket starts (each ascending). A site's sensors usually all
 * hold the same buckets: that is checked first (one pass), sparing a set of 72,000 times on Q2.
 */
function timeAxis(times: number[][]): number[] {
  const longest = times.reduce<number[]>((a, t) => (t.length > a.length ? t : a), []);
  if (times.every((t) => t === longest || sameTimes(t, longest))) return longest.slice();
  const seen = new Set<number>();
  for (const own of times) for (const t of own) seen.add(t);
  return Array.from(Float64Array.from(seen).sort());
}

function sameTimes(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
