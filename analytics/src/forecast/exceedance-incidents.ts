import type { LabelledIncident } from "./labelled-series.ts";

const HOUR = 3_600_000;

/**
 * What an incident is, from a series' own values: the rows where `input` — or its trailing average
 * over `averagingMs` — is strictly above `limit`. The same definition labels simulated days
 * (`@lifeline/simulators` `exceedanceIntervals`) and stored history, so a forecaster learns the
 * same thing from either.
 */
export interface ExceedanceRule {
  input: string;
  limit: number;
  /**
   * Trailing average over the rows of (t − averagingMs, t]; a row gets one only once the rows cover
   * the whole span (the first row is at most `averagingMs − stepMs` older). Undefined: the row's value.
   */
  averagingMs?: number;
}

/** The site limit of the dust scenario, µg/m³ on the 1-hour average PM10 (GB 3095-2012 grade II daily limit). */
export const DUST_PM10_LIMIT_UG_M3 = 150;
/** The warning level of the flood scenario's gauge, m above its datum. */
export const FLOOD_WARNING_LEVEL_M = 1.2;

/** Dust incidents: the trailing 1-hour average PM10 above the site limit. */
export function dustExceedanceRule(limitUgM3: number = DUST_PM10_LIMIT_UG_M3): ExceedanceRule {
  return { input: "pm10", limit: limitUgM3, averagingMs: HOUR };
}

/** Flood incidents: the water level above the warning level. */
export function floodExceedanceRule(warningLevelM: number = FLOOD_WARNING_LEVEL_M): ExceedanceRule {
  return { input: "water_level", limit: warningLevelM };
}

/**
 * The value the rule compares at each row (NaN where the averaging span is not covered yet). The
 * sum runs oldest first, row by row, as the simulators' `trailingMean` does: a running sum drifts
 * by rounding and would move rows that sit on the limit across it.
 */
export function ruleValues(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  rule: ExceedanceRule,
  stepMs: number,
): Float64Array {
  const n = timestamps.length;
  const out = new Float64Array(n);
  const span = rule.averagingMs;
  if (span === undefined) {
    for (let i = 0; i < n; i++) out[i] = values[i] as number;
    return out;
  }
  const first = n === 0 ? 0 : (timestamps[0] as number);
  let oldest = 0;
  for (let i = 0; i < n; i++) {
    const t = timestamps[i] as number;
    while ((timestamps[oldest] as number) <= t - span) oldest++;
    if (t - first < span - stepMs) {
      out[i] = Number.NaN;
      continue;
    }
    let sum = 0;
    for (let j = oldest; j <= i; j++) sum += values[j] as number;
    out[i] = sum / (i - oldest + 1);
  }
  return out;
}

/**
 * Maximal runs of consecutive rows whose rule value is above the limit (NaN never is): an incident
 * starts at its first row's time and ends one step after its last row's. The rows are one run
 * without gaps (see `labelledRuns`): an incident does not reach across a gap in the data.
 */
export function exceedanceIncidents(
  timestamps: ArrayLike<number>,
  values: ArrayLike<number>,
  rule: ExceedanceRule,
  stepMs: number,
): LabelledIncident[] {
  const compared = ruleValues(timestamps, values, rule, stepMs);
  const incidents: LabelledIncident[] = [];
  let start = -1;
  for (let i = 0; i <= compared.length; i++) {
    const above = i < compared.length && (compared[i] as number) > rule.limit;
    if (above && start < 0) start = i;
    if (!above && start >= 0) {
      incidents.push({ startMs: timestamps[start] as number, endMs: (timestamps[i - 1] as number) + stepMs });
      start = -1;
    }
  }
  return incidents;
}
