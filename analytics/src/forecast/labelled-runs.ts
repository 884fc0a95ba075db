import { type ExceedanceRule, exceedanceIncidents } from "./exceedance-incidents.ts";
import type { LabelledSeries } from "./labelled-series.ts";

/** One device's rows as read from a store: ascending times, one value per row in every column. */
export interface DeviceRows {
  device: string;
  timestamps: ArrayLike<number>;
  columns: Readonly<Record<string, ArrayLike<number>>>;
}

export interface LabelledRunOptions {
  /** Spacing of the rows (the forecaster's `stepMs`). */
  stepMs: number;
  /**
   * Rows further apart than this start a new run; default 2 × `stepMs`, the `maxRowGapMs` that
   * `forecasterOnnx` writes into the served spec, so that training windows are the windows the
   * stream processor builds (one missing row is bridged, a longer gap restarts the window).
   */
  maxRowGapMs?: number;
}

/** Index ranges [start, end) of the rows between gaps longer than `maxRowGapMs`. */
export function rowRuns(timestamps: ArrayLike<number>, maxRowGapMs: number): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  let start = 0;
  for (let i = 1; i <= timestamps.length; i++) {
    if (i < timestamps.length && (timestamps[i] as number) - (timestamps[i - 1] as number) <= maxRowGapMs) continue;
    runs.push([start, i]);
    start = i;
  }
  return runs;
}

/**
 * A device's rows as labelled series, one per run without a gap, each with the incidents the rule
 * finds in it. A forecaster's windows are cut by row index (`seriesWindow`), so a series must not
 * hold a gap: a window across one would pair rows from before it with rows after it, which the
 * served model never sees. The trailing average of a dust rule restarts after a gap too: an hour's
 * average needs the hour's rows.
 */
export function labelledRuns(rows: DeviceRows, rule: ExceedanceRule, options: LabelledRunOptions): LabelledSeries[] {
  const ruled = rows.columns[rule.input];
  if (ruled === undefined) {
    throw new RangeError(`device ${rows.device} has no column ${rule.input}, the one the incidents are defined on`);
  }
  const slice = (values: ArrayLike<number>, start: number, end: number) =>
    Float64Array.from({ length: end - start }, (_, k) => values[start + k] as number);
  return rowRuns(rows.timestamps, options.maxRowGapMs ?? 2 * options.stepMs).map(([start, end]) => {
    const timestamps = slice(rows.timestamps, start, end);
    const columns: Record<string, Float64Array> = {};
    for (const [name, values] of Object.entries(rows.columns)) columns[name] = slice(values, start, end);
    return {
      device: rows.device,
      timestamps,
      columns,
      incidents: exceedanceIncidents(timestamps, columns[rule.input] as Float64Array, rule, options.stepMs),
    };
  });
}
