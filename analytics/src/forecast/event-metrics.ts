import { firstRowAtOrAfter, type LabelledIncident, type LabelledSeries } from "./labelled-series.ts";

const DAY = 86_400_000;

/** A maximal run of alarmed rows: `startIndex` inclusive, `endIndex` exclusive; times of its first and last row. */
export interface AlarmEpisode {
  startIndex: number;
  endIndex: number;
  startMs: number;
  lastMs: number;
}

export interface IncidentOutcome {
  device: string;
  startMs: number;
  endMs: number;
  kind: string | undefined;
  detected: boolean;
  /**
   * First alarmed row in [start − horizon, end) minus the incident's start, ms: negative is an early
   * warning (at most the horizon early: an alarm has no claim on what lies beyond its horizon).
   */
  delayMs: number | undefined;
}

export interface EventMetrics {
  incidents: number;
  detected: number;
  detectionRate: number;
  /** Detected / incidents per incident kind (incidents without a kind under "unknown"). */
  byKind: Record<string, { incidents: number; detected: number }>;
  alarmEpisodes: number;
  /** Alarm episodes with no row in any incident's [start − horizon, end). */
  falseAlarms: number;
  /** Rows × step summed over the devices, in days. */
  deviceDays: number;
  falseAlarmsPerDeviceDay: number;
  /** Of the detected incidents' delays (NaN if none was detected), by linear interpolation between ranks. */
  medianDelayMs: number;
  p90DelayMs: number;
  outcomes: IncidentOutcome[];
}

export interface EventMetricOptions {
  /** The forecast horizon: an alarm this long before an incident counts for it. */
  horizonMs: number;
  /** Sampling step of the series, for the device-days. */
  stepMs: number;
  /**
   * Incidents of a device that are less than this apart are scored as one (default 0: as labelled). A
   * level that wobbles across the line by a few millimetres is one event to whoever gets the alarm.
   */
  incidentGapMs?: number;
}

/** Maximal runs of rows whose alarm is 1. */
export function alarmEpisodes(timestamps: ArrayLike<number>, alarms: ArrayLike<number>): AlarmEpisode[] {
  const episodes: AlarmEpisode[] = [];
  let start = -1;
  for (let i = 0; i <= alarms.length; i++) {
    const on = i < alarms.length && alarms[i] === 1;
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      episodes.push({
        startIndex: start,
        endIndex: i,
        startMs: timestamps[start] as number,
        lastMs: timestamps[i - 1] as number,
      });
      start = -1;
    }
  }
  return episodes;
}

/**
 * Scores alarms (one 0/1 per row of each series) against the series' incidents: an incident is
 * detected if an alarm is on at some row from `horizonMs` before its start to its end; an alarm
 * episode that touches no such span is a false alarm.
 */
export function evaluateAlarms(
  series: readonly LabelledSeries[],
  alarms: readonly ArrayLike<number>[],
  options: EventMetricOptions,
): EventMetrics {
  if (series.length !== alarms.length)
    throw new RangeError(`${series.length} series but ${alarms.length} alarm arrays`);
  const outcomes: IncidentOutcome[] = [];
  let episodeCount = 0;
  let falseAlarms = 0;
  let rows = 0;
  series.forEach((s, k) => {
    const on = alarms[k] as ArrayLike<number>;
    if (on.length !== s.timestamps.length) {
      throw new RangeError(`series ${s.device}: ${s.timestamps.length} rows but ${on.length} alarms`);
    }
    rows += on.length;
    const incidents = mergedIncidents(s.incidents, options.incidentGapMs ?? 0);
    for (const incident of incidents) outcomes.push(outcomeOf(s, on, incident, options.horizonMs));
    const episodes = alarmEpisodes(s.timestamps, on);
    episodeCount += episodes.length;
    for (const e of episodes) {
      const related = incidents.some((i) => e.startMs < i.endMs && e.lastMs >= i.startMs - options.horizonMs);
      if (!related) falseAlarms++;
    }
  });
  const delays = outcomes.flatMap((o) => (o.delayMs === undefined ? [] : [o.delayMs])).sort((a, b) => a - b);
  const deviceDays = (rows * options.stepMs) / DAY;
  const byKind: EventMetrics["byKind"] = {};
  for (const o of outcomes) {
    const kind = o.kind ?? "unknown";
    const entry = byKind[kind] ?? { incidents: 0, detected: 0 };
    byKind[kind] = entry;
    entry.incidents++;
    if (o.detected) entry.detected++;
  }
  return {
    incidents: outcomes.length,
    detected: delays.length,
    detectionRate: delays.length / outcomes.length,
    byKind,
    alarmEpisodes: episodeCount,
    falseAlarms,
    deviceDays,
    falseAlarmsPerDeviceDay: falseAlarms / deviceDays,
    medianDelayMs: quantile(delays, 0.5),
    p90DelayMs: quantile(delays, 0.9),
    outcomes,
  };
}

/** Incidents in time order, those less than `gapMs` apart joined (the first one's kind). */
export function mergedIncidents(incidents: readonly LabelledIncident[], gapMs: number): LabelledIncident[] {
  const merged: LabelledIncident[] = [];
  for (const incident of [...incidents].sort((a, b) => a.startMs - b.startMs)) {
    const last = merged.at(-1);
    if (last !== undefined && incident.startMs - last.endMs < gapMs) last.endMs = Math.max(last.endMs, incident.endMs);
    else merged.push({ ...incident });
  }
  return merged;
}

function outcomeOf(
  s: LabelledSeries,
  on: ArrayLike<number>,
  incident: LabelledIncident,
  horizonMs: number,
): IncidentOutcome {
  let delayMs: number | undefined;
  for (let i = firstRowAtOrAfter(s.timestamps, incident.startMs - horizonMs); i < on.length; i++) {
    const t = s.timestamps[i] as number;
    if (t >= incident.endMs) break;
    if (on[i] === 1) {
      delayMs = t - incident.startMs;
      break;
    }
  }
  return {
    device: s.device,
    startMs: incident.startMs,
    endMs: incident.endMs,
    kind: incident.kind,
    detected: delayMs !== undefined,
    delayMs,
  };
}

/** The p-quantile of ascending `sorted` values, interpolating linearly between ranks (NaN if empty). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const low = sorted[below] as number;
  return low + (position - below) * ((sorted[above] as number) - low);
}
