import { localHourOfDay, utcOffsetMinutes } from "../local-time.ts";

const HOUR = 3_600_000;

export interface ScenarioClockOptions {
  days: number;
  stepMs?: number;
  /** First sample; default local midnight of 2026-06-01 at `utcOffset`. */
  startMs?: number;
  /** The site's clock, e.g. "+08:00" (the default): working hours and the afternoon storms follow it. */
  utcOffset?: string;
}

/** The sampling grid of a scenario: `rows` samples `stepMs` apart from `startMs`. */
export interface ScenarioClock {
  startMs: number;
  stepMs: number;
  rows: number;
  offsetMinutes: number;
  /** Samples per hour: the length of the 1-hour average. */
  rowsPerHour: number;
  timestamps: Float64Array;
  /** Local hour of day of row `i` as a fraction. */
  hourOf(i: number): number;
}

export function scenarioClock(options: ScenarioClockOptions): ScenarioClock {
  const stepMs = options.stepMs ?? 60_000;
  const offsetMinutes = utcOffsetMinutes(options.utcOffset ?? "+08:00");
  if (!Number.isInteger(options.days) || options.days < 1) {
    throw new RangeError(`days must be a positive integer, got ${options.days}`);
  }
  // Whole samples per hour keep the 1-hour average of the labels exact.
  if (!Number.isInteger(stepMs) || stepMs < 1000 || HOUR % stepMs !== 0) {
    throw new RangeError(`stepMs must be a whole number of seconds dividing an hour, got ${stepMs}`);
  }
  const startMs = options.startMs ?? Date.UTC(2026, 5, 1) - offsetMinutes * 60_000;
  const rows = (options.days * 24 * HOUR) / stepMs;
  const timestamps = new Float64Array(rows);
  for (let i = 0; i < rows; i++) timestamps[i] = startMs + i * stepMs;
  return {
    startMs,
    stepMs,
    rows,
    offsetMinutes,
    rowsPerHour: HOUR / stepMs,
    timestamps,
    hourOf: (i) => localHourOfDay(startMs + i * stepMs, offsetMinutes),
  };
}

/** A labelled span of rows: `startIndex` inclusive, `endIndex` exclusive; `endMs` is the end of its last sample. */
export interface ExceedanceInterval {
  startIndex: number;
  endIndex: number;
  startMs: number;
  endMs: number;
}

/** Maximal runs of rows whose value is strictly above `limit` (NaN never is). */
export function exceedanceIntervals(
  values: ArrayLike<number>,
  limit: number,
  clock: ScenarioClock,
): ExceedanceInterval[] {
  const intervals: ExceedanceInterval[] = [];
  let start = -1;
  for (let i = 0; i <= values.length; i++) {
    const above = i < values.length && (values[i] as number) > limit;
    if (above && start < 0) start = i;
    if (!above && start >= 0) {
      intervals.push({
        startIndex: start,
        endIndex: i,
        startMs: clock.startMs + start * clock.stepMs,
        endMs: clock.startMs + i * clock.stepMs,
      });
      start = -1;
    }
  }
  return intervals;
}
