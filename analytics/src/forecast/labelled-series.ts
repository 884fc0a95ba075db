import type { WindowShape } from "./window-features.ts";

/** A span of rows in an incident: `startMs` is its first row's time, `endMs` the end of its last row. */
export interface LabelledIncident {
  startMs: number;
  endMs: number;
  /** What caused it, when the labeller knows (e.g. blasting, haul-road). */
  kind?: string;
}

/**
 * One device's rows with its labelled incidents — the shape the simulators' scenarios produce and a
 * store export can be turned into. Rows are in time order; `columns` hold one value per row.
 */
export interface LabelledSeries {
  device: string;
  timestamps: ArrayLike<number>;
  columns: Readonly<Record<string, ArrayLike<number>>>;
  incidents: readonly LabelledIncident[];
}

/** Index of the first row at or after `t` (the row count if none is). */
export function firstRowAtOrAfter(timestamps: ArrayLike<number>, t: number): number {
  let low = 0;
  let high = timestamps.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((timestamps[mid] as number) < t) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** 1 for rows inside an incident. */
export function incidentRows(series: LabelledSeries): Uint8Array {
  const inside = new Uint8Array(series.timestamps.length);
  for (const incident of series.incidents) {
    for (let i = firstRowAtOrAfter(series.timestamps, incident.startMs); i < inside.length; i++) {
      if ((series.timestamps[i] as number) >= incident.endMs) break;
      inside[i] = 1;
    }
  }
  return inside;
}

export interface ExceedanceTargets {
  /** 1 if some row after this one and at most `horizonMs` later is in an incident. */
  targets: Uint8Array;
  /** 1 if the series runs on for the whole horizon after this row, so its target is known. */
  known: Uint8Array;
}

/** What an exceedance forecaster learns: will there be an incident row within the horizon? */
export function exceedanceTargets(series: LabelledSeries, horizonMs: number): ExceedanceTargets {
  const n = series.timestamps.length;
  const inside = incidentRows(series);
  // Prefix counts of incident rows: rows (i, j] hold count[j + 1] − count[i + 1] of them.
  const count = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) count[i + 1] = (count[i] as number) + (inside[i] as number);
  const targets = new Uint8Array(n);
  const known = new Uint8Array(n);
  const last = n === 0 ? 0 : (series.timestamps[n - 1] as number);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const until = (series.timestamps[i] as number) + horizonMs;
    if (j < i) j = i;
    while (j + 1 < n && (series.timestamps[j + 1] as number) <= until) j++;
    targets[i] = (count[j + 1] as number) - (count[i + 1] as number) > 0 ? 1 : 0;
    known[i] = last >= until ? 1 : 0;
  }
  return { targets, known };
}

/** Copies the rows `end − window + 1 … end` of the shape's inputs into `out`, row-major; false if there are too few. */
export function seriesWindow(shape: WindowShape, series: LabelledSeries, end: number, out: Float64Array): boolean {
  const first = end - shape.window + 1;
  if (first < 0 || end >= series.timestamps.length) return false;
  const width = shape.inputs.length;
  shape.inputs.forEach((input, c) => {
    const column = series.columns[input];
    if (column === undefined) throw new RangeError(`series ${series.device} has no column ${input}`);
    for (let r = 0; r < shape.window; r++) out[r * width + c] = column[first + r] as number;
  });
  return true;
}
