import type { Random } from "../random.ts";
import {
  type ExceedanceInterval,
  exceedanceIntervals,
  type ScenarioClock,
  type ScenarioClockOptions,
  scenarioClock,
} from "./scenario-clock.ts";
import { Ar1, gaussian, roundTo, scenarioStream, uniform } from "./scenario-random.ts";

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** A tipping-bucket gauge counts rain in 0.1 mm tips. */
const TIP_MM = 0.1;
/** Depression storage of the paved catchment, mm: the first rain after a dry spell runs off nowhere. */
const INITIAL_LOSS_MM = 4;
/** How fast that storage dries out again, mm/h. */
const DRYING_MM_PER_HOUR = 0.25;
/** Share of the rain past the initial loss that reaches the channel. */
const RUNOFF_COEFFICIENT = 0.75;
/** Storage constant of each of the two linear reservoirs in series (the catchment, then the channel). */
const RESERVOIR_MS = 20 * MINUTE;

export interface FloodStationOptions extends ScenarioClockOptions {
  seed: number;
  /** The station's name; default flood-01. */
  device?: string;
  /** Level above which the station is in warning, m above the gauge datum; default 1.2. */
  warningLevelM?: number;
  /** Level with no rain, m; default 0.8. */
  baseLevelM?: number;
  /** Rise of the level per mm/h of runoff reaching the gauge, m; default 0.045. */
  levelGainMPerMmH?: number;
  /** Convective storms per day (flood season), more of them in the afternoon; default 0.5. */
  stormsPerDay?: number;
  /** Spells of light rain per day; default 0.8. */
  showersPerDay?: number;
}

/** A rain event as it fell: `peakMmPerHour` of its profile before the cells' fluctuation. */
export interface RainEvent {
  kind: "storm" | "shower";
  startMs: number;
  endMs: number;
  peakMmPerHour: number;
  /**
   * Rain over the catchment as a share of what the gauge caught: a storm cell passes over the one or
   * the other, so the gauge tells the river's future only roughly.
   */
  catchmentShare: number;
}

/** A span where the water level is above the warning level. */
export interface FloodIncident extends ExceedanceInterval {
  kind: "water-level";
  peakLevelM: number;
}

export interface FloodStationSeries {
  device: string;
  warningLevelM: number;
  timestamps: Float64Array;
  /** mm/h over the step (whole tips), mm since the first sample (whole tips), m above the datum. */
  columns: { rain_intensity: Float64Array; rainfall_total: Float64Array; water_level: Float64Array };
  incidents: FloodIncident[];
  rainEvents: RainEvent[];
}

/**
 * Days at a rain gauge and radar level gauge on a small urban river by an underpass, one reading per
 * `stepMs`, with the spans above the warning level labelled. Rain runs off a paved catchment (an
 * initial loss, then a fixed share) through two linear reservoirs, so the level answers a burst
 * after a lag of some 20–40 minutes and recedes over an hour or two.
 */
export function floodStationDays(options: FloodStationOptions): FloodStationSeries {
  const clock = scenarioClock(options);
  const warningLevelM = options.warningLevelM ?? 1.2;
  const rainEvents = rainEventsOf(clock, scenarioStream(options.seed, 11), options);
  const rain = rainDepths(clock, rainEvents, scenarioStream(options.seed, 12));
  const columns = {
    ...gaugeReadings(clock, rain.gauge),
    water_level: waterLevels(clock, rain.catchment, scenarioStream(options.seed, 13), options),
  };
  const incidents = exceedanceIntervals(columns.water_level, warningLevelM, clock).map((interval): FloodIncident => {
    let peak = Number.NEGATIVE_INFINITY;
    for (let i = interval.startIndex; i < interval.endIndex; i++) {
      peak = Math.max(peak, columns.water_level[i] as number);
    }
    return { ...interval, kind: "water-level", peakLevelM: peak };
  });
  return {
    device: options.device ?? "flood-01",
    warningLevelM,
    timestamps: clock.timestamps.slice(),
    columns,
    incidents,
    rainEvents,
  };
}

/** Storms (20–150 min, peak median 16 mm/h, 1 in 10 above 32) and light showers (1–6 h, 0.5–3 mm/h). */
function rainEventsOf(clock: ScenarioClock, r: Random, options: FloodStationOptions): RainEvent[] {
  const storms = options.stormsPerDay ?? 0.5;
  const showers = options.showersPerDay ?? 0.8;
  const perStep = clock.stepMs / (24 * HOUR);
  const events: RainEvent[] = [];
  for (let i = 0; i < clock.rows; i++) {
    const t = clock.startMs + i * clock.stepMs;
    // Convective storms peak in the late afternoon.
    const afternoon = 1 + 0.8 * Math.cos((2 * Math.PI * (clock.hourOf(i) - 16)) / 24);
    if (r() < storms * afternoon * perStep) {
      const durationMs = Math.round(uniform(r, 20, 150)) * MINUTE;
      const peakMmPerHour = peak(16 * Math.exp(0.55 * gaussian(r)));
      events.push({ kind: "storm", startMs: t, endMs: t + durationMs, peakMmPerHour, catchmentShare: share(r) });
    }
    if (r() < showers * perStep) {
      const durationMs = Math.round(uniform(r, 60, 360)) * MINUTE;
      const peakMmPerHour = peak(uniform(r, 0.5, 3));
      events.push({ kind: "shower", startMs: t, endMs: t + durationMs, peakMmPerHour, catchmentShare: share(r) });
    }
  }
  return events;
}

const peak = (mmPerHour: number) => roundTo(mmPerHour, 1);
const share = (r: Random) => roundTo(Math.exp(0.3 * gaussian(r)), 2);

/** Rain in each step at the gauge and over the catchment, mm: the events' profiles under passing cells. */
function rainDepths(clock: ScenarioClock, events: readonly RainEvent[], r: Random) {
  const cells = new Ar1(3 * MINUTE, clock.stepMs, 0.3, r);
  const gauge = new Float64Array(clock.rows);
  const catchment = new Float64Array(clock.rows);
  // Where a storm's profile peaks, as a share of its duration (fixed per storm by its start).
  const peakAt = events.map((e) => 0.25 + (0.25 * ((e.startMs / MINUTE) % 7)) / 7);
  for (let i = 0; i < clock.rows; i++) {
    const t = clock.startMs + (i + 0.5) * clock.stepMs;
    const fluctuation = Math.exp(cells.next(r) - 0.3 ** 2 / 2);
    let atGauge = 0;
    let overCatchment = 0;
    events.forEach((e, k) => {
      if (t < e.startMs || t >= e.endMs) return;
      const x = (t - e.startMs) / (e.endMs - e.startMs);
      const p = peakAt[k] as number;
      const shape = e.kind === "shower" ? 1 : x < p ? (x / p) ** 1.5 : ((1 - x) / (1 - p)) ** 1.5;
      atGauge += e.peakMmPerHour * shape;
      overCatchment += e.peakMmPerHour * shape * e.catchmentShare;
    });
    gauge[i] = atGauge * fluctuation * (clock.stepMs / HOUR);
    catchment[i] = overCatchment * fluctuation * (clock.stepMs / HOUR);
  }
  return { gauge, catchment };
}

/** What a 0.1 mm tipping bucket reports: whole tips per step as mm/h, and the running total. */
function gaugeReadings(clock: ScenarioClock, rainMm: Float64Array) {
  const rain_intensity = new Float64Array(clock.rows);
  const rainfall_total = new Float64Array(clock.rows);
  let total = 0;
  let tipsBefore = 0;
  for (let i = 0; i < clock.rows; i++) {
    total += rainMm[i] as number;
    const tips = Math.floor(total / TIP_MM + 1e-9);
    rain_intensity[i] = roundTo(((tips - tipsBefore) * TIP_MM * HOUR) / clock.stepMs, 1);
    rainfall_total[i] = roundTo(tips * TIP_MM, 1);
    tipsBefore = tips;
  }
  return { rain_intensity, rainfall_total };
}

/** Runoff through two linear reservoirs in series; the level is the base plus a gain times the outflow. */
function waterLevels(clock: ScenarioClock, rainMm: Float64Array, r: Random, options: FloodStationOptions) {
  const base = options.baseLevelM ?? 0.8;
  const gain = options.levelGainMPerMmH ?? 0.045;
  const drift = new Ar1(12 * HOUR, clock.stepMs, 0.03, r);
  // Sub-steps of at most a minute keep the explicit update stable and close to the exact one.
  const substeps = Math.ceil(clock.stepMs / MINUTE);
  const dt = clock.stepMs / substeps;
  const level = new Float64Array(clock.rows);
  let deficit = INITIAL_LOSS_MM;
  let catchment = 0;
  let channel = 0;
  for (let i = 0; i < clock.rows; i++) {
    const rain = rainMm[i] as number;
    const abstracted = Math.min(deficit, rain);
    deficit =
      rain > 0 ? deficit - abstracted : Math.min(INITIAL_LOSS_MM, deficit + (DRYING_MM_PER_HOUR * clock.stepMs) / HOUR);
    const inflow = (RUNOFF_COEFFICIENT * (rain - abstracted)) / substeps;
    for (let s = 0; s < substeps; s++) {
      const fromCatchment = (catchment * dt) / RESERVOIR_MS;
      catchment += inflow - fromCatchment;
      channel += fromCatchment - (channel * dt) / RESERVOIR_MS;
    }
    const outflowMmPerHour = (channel / RESERVOIR_MS) * HOUR;
    const daily = 0.01 * Math.sin((2 * Math.PI * clock.hourOf(i)) / 24);
    const reading = base + drift.next(r) + daily + gain * outflowMmPerHour + 0.003 * gaussian(r);
    level[i] = roundTo(reading, 3);
  }
  return level;
}
