import { siteActivity } from "../hj212/dust-site-model.ts";
import { localWindowStart } from "../local-time.ts";
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
const DAY = 86_400_000;
/** A blast's dust reaches the monitors within two minutes. */
const BLAST_RISE_MS = 2 * MINUTE;
/** Haul-road episodes build up and die away over ten minutes as the trucks start and stop. */
const HAUL_RAMP_MS = 10 * MINUTE;

export interface DustSiteOptions extends ScenarioClockOptions {
  seed: number;
  /** Monitor names, or how many (named dust-01, dust-02, …). */
  devices: number | readonly string[];
  /** Site limit on the 1-hour average PM10, µg/m³ (GB 3095-2012 grade II daily limit: 150). */
  pm10LimitUgM3?: number;
  /** Chance that a day has a blast; default 0.3. */
  blastProbabilityPerDay?: number;
  /** Haul-road episodes per hour of full site activity at 3 m/s wind, per monitor; default 0.14. */
  haulEpisodesPerHour?: number;
}

export type DustSiteEpisodeKind = "blasting" | "haul-road";
export type DustIncidentKind = DustSiteEpisodeKind | "wind-erosion" | "background";

/** What happened at a monitor, whether or not it led to an incident. */
export interface DustSiteEpisode {
  kind: DustSiteEpisodeKind;
  startMs: number;
  endMs: number;
  /** The most PM10 it added at this monitor, µg/m³. */
  peakUgM3: number;
}

/** A span where the trailing 1-hour average PM10 is above the limit, and the source that put it there. */
export interface DustIncident extends ExceedanceInterval {
  kind: DustIncidentKind;
  /** Highest 1-hour average in the span, µg/m³. */
  peakHourlyPm10: number;
}

export interface DustDeviceSeries {
  device: string;
  /** HJ 212 loggers report to 0.1 µg/m³; Modbus monitors in mg/m³ to 3 decimals, given here ×1000. */
  protocol: "hj212" | "modbus";
  /** Direction of the monitor from the works area, degrees: downwind monitors get the works' dust. */
  bearingDeg: number;
  timestamps: Float64Array;
  /** µg/m³, µg/m³, m/s, degrees (where the wind comes from). */
  columns: { pm10: Float64Array; tsp: Float64Array; wind_speed: Float64Array; wind_direction: Float64Array };
  /** Trailing 1-hour average PM10 (NaN for the first hour less a sample: no full hour yet). */
  hourlyPm10: Float64Array;
  incidents: DustIncident[];
  episodes: DustSiteEpisode[];
}

export interface DustSiteDays {
  limitUgM3: number;
  stepMs: number;
  devices: DustDeviceSeries[];
}

interface SiteWeather {
  speed: Float64Array;
  direction: Float64Array;
  /** Regional pollution as a factor of the usual (mean 1). */
  regional: Float64Array;
}

interface Blast {
  startMs: number;
  /** PM10 added straight downwind at its peak, µg/m³. */
  peakUgM3: number;
  tauMs: number;
}

/** PM10 sources at one monitor, µg/m³ per row: the sum is the true concentration. */
interface DustSources {
  background: Float64Array;
  erosion: Float64Array;
  haul: Float64Array;
  blast: Float64Array;
  episodes: DustSiteEpisode[];
}

/** The night-time inversion traps particles; it peaks around 06:00 and lifts by the afternoon. */
const inversion = (hour: number) => 0.5 * (1 + Math.cos((2 * Math.PI * (hour - 6)) / 24));
/** The wind picks up with the afternoon's warmth (maximum around 15:00). */
const warmth = (hour: number) => Math.cos((2 * Math.PI * (hour - 15)) / 24);
const mod360 = (deg: number) => ((deg % 360) + 360) % 360;

/**
 * Share of the works' dust that reaches a monitor: 1 straight downwind, 0.3 upwind (the works are
 * spread out and eddies carry some dust every way). The wind direction is where it blows from.
 */
export function downwindFactor(windFromDeg: number, bearingDeg: number): number {
  return 0.3 + 0.35 * (1 + Math.cos(((windFromDeg + 180 - bearingDeg) * Math.PI) / 180));
}

/**
 * Days of a construction site or open-pit mine watched by dust monitors, one reading per `stepMs`,
 * with the incidents labelled: spans where the trailing 1-hour average PM10 exceeds the limit.
 * The same options give the same days, to the last digit.
 */
export function dustSiteDays(options: DustSiteOptions): DustSiteDays {
  const clock = scenarioClock(options);
  const limit = options.pm10LimitUgM3 ?? 150;
  const names =
    typeof options.devices === "number"
      ? Array.from({ length: options.devices }, (_, k) => `dust-${String(k + 1).padStart(2, "0")}`)
      : [...options.devices];
  if (names.length === 0) throw new RangeError("a dust site needs at least one device");
  const weather = siteWeather(clock, options.seed);
  const blasts = siteBlasts(clock, options.seed, options.blastProbabilityPerDay ?? 0.3);
  const devices = names.map((device, k) => {
    const bearingDeg = mod360(45 + (360 * k) / names.length);
    const sources = dustSources(clock, weather, blasts, { seed: options.seed, k, bearingDeg }, options);
    const protocol = k % 2 === 0 ? "hj212" : "modbus";
    const columns = measured(clock, weather, sources, scenarioStream(options.seed, 100 + 10 * k + 3), protocol);
    const hourlyPm10 = trailingMean(columns.pm10, clock.rowsPerHour);
    const incidents = exceedanceIntervals(hourlyPm10, limit, clock).map((interval) =>
      labelled(interval, hourlyPm10, sources, clock.rowsPerHour),
    );
    const series: DustDeviceSeries = {
      device,
      protocol,
      bearingDeg,
      timestamps: clock.timestamps.slice(),
      columns,
      hourlyPm10,
      incidents,
      episodes: sources.episodes,
    };
    return series;
  });
  return { limitUgM3: limit, stepMs: clock.stepMs, devices };
}

function siteWeather(clock: ScenarioClock, seed: number): SiteWeather {
  const r = scenarioStream(seed, 1);
  const gust = new Ar1(15 * MINUTE, clock.stepMs, 0.7, r);
  const windiness = new Ar1(12 * HOUR, clock.stepMs, 0.35, r);
  const prevailing = new Ar1(12 * HOUR, clock.stepMs, 50, r);
  const veer = new Ar1(90 * MINUTE, clock.stepMs, 25, r);
  const regional = new Ar1(24 * HOUR, clock.stepMs, 0.25, r);
  const speed = new Float64Array(clock.rows);
  const direction = new Float64Array(clock.rows);
  const regionalFactor = new Float64Array(clock.rows);
  for (let i = 0; i < clock.rows; i++) {
    const hour = clock.hourOf(i);
    speed[i] = Math.max(0.2, Math.exp(windiness.next(r)) * (2.4 + 1.3 * warmth(hour)) + gust.next(r));
    direction[i] = mod360(135 + prevailing.next(r) + veer.next(r)); // a south-easterly prevailing wind
    regionalFactor[i] = Math.exp(regional.next(r) - 0.25 ** 2 / 2);
  }
  return { speed, direction, regional: regionalFactor };
}

/** At most one blast a day, between 11:00 and 16:30 local time; nothing in the data announces it. */
function siteBlasts(clock: ScenarioClock, seed: number, probability: number): Blast[] {
  const r = scenarioStream(seed, 2);
  const endMs = clock.startMs + clock.rows * clock.stepMs;
  const blasts: Blast[] = [];
  for (let day = localWindowStart(clock.startMs, clock.offsetMinutes, DAY); day < endMs; day += DAY) {
    // Every day draws the same numbers, so that the probability changes which days blast, not when.
    const happens = r() < probability;
    const at = day + Math.round(uniform(r, 11, 16.5) * 3600) * 1000; // to the second
    const peakUgM3 = 700 * Math.exp(0.5 * gaussian(r));
    const tauMs = Math.round(uniform(r, 8, 16) * MINUTE);
    if (happens && at >= clock.startMs && at < endMs) blasts.push({ startMs: at, peakUgM3, tauMs });
  }
  return blasts;
}

interface Monitor {
  seed: number;
  k: number;
  bearingDeg: number;
}

function dustSources(
  clock: ScenarioClock,
  weather: SiteWeather,
  blasts: readonly Blast[],
  monitor: Monitor,
  options: DustSiteOptions,
): DustSources {
  const noise = scenarioStream(monitor.seed, 100 + 10 * monitor.k + 2);
  const local = new Ar1(20 * MINUTE, clock.stepMs, 1, noise);
  const background = new Float64Array(clock.rows);
  const erosion = new Float64Array(clock.rows);
  for (let i = 0; i < clock.rows; i++) {
    const hour = clock.hourOf(i);
    const f = downwindFactor(weather.direction[i] as number, monitor.bearingDeg);
    const works = 38 + 24 * inversion(hour) + 30 * siteActivity(hour) * f;
    background[i] = (weather.regional[i] as number) * works * Math.exp(0.15 * local.next(noise) - 0.15 ** 2 / 2);
    // Stockpiles and bare ground lift dust once the wind passes about 5.5 m/s.
    erosion[i] = 5 * Math.max(0, (weather.speed[i] as number) - 5.5) ** 2 * f;
  }
  const haul = haulRoad(clock, weather, scenarioStream(monitor.seed, 100 + 10 * monitor.k + 1), options);
  const blast = blastDust(clock, weather, blasts, monitor.bearingDeg);
  return { background, erosion, haul: haul.dust, blast: blast.dust, episodes: [...haul.episodes, ...blast.episodes] };
}

/**
 * Truck convoys on the haul road by the monitor: they start at random in working hours (more often in
 * wind, which dries the road), last 30–120 minutes, and raise more dust the stronger the wind.
 */
function haulRoad(clock: ScenarioClock, weather: SiteWeather, r: Random, options: DustSiteOptions) {
  const rate = options.haulEpisodesPerHour ?? 0.14;
  const trucks = new Ar1(4 * MINUTE, clock.stepMs, 1, r);
  const dust = new Float64Array(clock.rows);
  const episodes: DustSiteEpisode[] = [];
  let current: { start: number; durationMs: number; amplitude: number; episode: DustSiteEpisode } | undefined;
  for (let i = 0; i < clock.rows; i++) {
    const t = clock.startMs + i * clock.stepMs;
    const speed = weather.speed[i] as number;
    const passing = trucks.next(r);
    if (current !== undefined && t >= current.start + current.durationMs) current = undefined;
    const chance = rate * siteActivity(clock.hourOf(i)) * (0.6 + 0.15 * speed) * (clock.stepMs / HOUR);
    if (r() < chance && current === undefined) {
      const durationMs = Math.round(uniform(r, 30, 120)) * MINUTE;
      const episode: DustSiteEpisode = { kind: "haul-road", startMs: t, endMs: t + durationMs, peakUgM3: 0 };
      current = { start: t, durationMs, amplitude: 60 * Math.exp(0.45 * gaussian(r)), episode };
      episodes.push(episode);
    }
    if (current === undefined) continue;
    const age = t - current.start;
    const edge = Math.min(1, Math.min(age, current.durationMs - age) / HAUL_RAMP_MS);
    const envelope = edge * edge * (3 - 2 * edge);
    dust[i] = current.amplitude * envelope * (0.4 + 0.2 * speed) * Math.max(0, 1 + 0.3 * passing);
    current.episode.peakUgM3 = Math.max(current.episode.peakUgM3, roundTo(dust[i] as number, 1));
  }
  return { dust, episodes };
}

/** A blast's cloud: up within two minutes, then an exponential decay; the plume follows the wind. */
function blastDust(clock: ScenarioClock, weather: SiteWeather, blasts: readonly Blast[], bearingDeg: number) {
  const dust = new Float64Array(clock.rows);
  const episodes: DustSiteEpisode[] = [];
  for (const blast of blasts) {
    const lastMs = blast.startMs + BLAST_RISE_MS + Math.round(blast.tauMs * Math.log(1000));
    const episode: DustSiteEpisode = { kind: "blasting", startMs: blast.startMs, endMs: lastMs, peakUgM3: 0 };
    for (let i = Math.ceil((blast.startMs - clock.startMs) / clock.stepMs); i < clock.rows; i++) {
      const age = clock.startMs + i * clock.stepMs - blast.startMs;
      if (age >= lastMs - blast.startMs) break;
      const shape = age < BLAST_RISE_MS ? age / BLAST_RISE_MS : Math.exp(-(age - BLAST_RISE_MS) / blast.tauMs);
      const added = blast.peakUgM3 * shape * downwindFactor(weather.direction[i] as number, bearingDeg);
      dust[i] = (dust[i] as number) + added;
      episode.peakUgM3 = Math.max(episode.peakUgM3, roundTo(added, 1));
    }
    episodes.push(episode);
  }
  return { dust, episodes };
}

/** What the monitor reports: the sources plus sensor noise, at the resolution of its protocol. */
function measured(
  clock: ScenarioClock,
  weather: SiteWeather,
  s: DustSources,
  r: Random,
  protocol: DustDeviceSeries["protocol"],
): DustDeviceSeries["columns"] {
  const decimals = protocol === "hj212" ? 1 : 0;
  const columns = {
    pm10: new Float64Array(clock.rows),
    tsp: new Float64Array(clock.rows),
    wind_speed: new Float64Array(clock.rows),
    wind_direction: new Float64Array(clock.rows),
  };
  for (let i = 0; i < clock.rows; i++) {
    const [bg, er, haul, blast] = [s.background[i], s.erosion[i], s.haul[i], s.blast[i]] as number[];
    const pm10 = (bg as number) + (er as number) + (haul as number) + (blast as number);
    columns.pm10[i] = roundTo(Math.max(1, pm10 + (2 + 0.04 * pm10) * gaussian(r)), decimals);
    // Coarse road and rock dust raise TSP more than PM10; TSP includes PM10, so it is never below it.
    const tsp = 1.65 * (bg as number) + 2.2 * (er as number) + 2.5 * (haul as number) + 1.9 * (blast as number);
    const tspReading = tsp + (3 + 0.05 * tsp) * gaussian(r);
    columns.tsp[i] = roundTo(Math.max(1.05 * (columns.pm10[i] as number), tspReading), decimals);
    columns.wind_speed[i] = roundTo(Math.max(0, (weather.speed[i] as number) + 0.1 * gaussian(r)), 1);
    columns.wind_direction[i] = roundTo(mod360((weather.direction[i] as number) + 3 * gaussian(r)), 0) % 360;
  }
  return columns;
}

/** Mean of each row and the `n - 1` before it; NaN until there are `n`. */
export function trailingMean(values: ArrayLike<number>, n: number): Float64Array {
  const mean = new Float64Array(values.length).fill(Number.NaN);
  for (let i = n - 1; i < values.length; i++) {
    let sum = 0;
    for (let j = i - n + 1; j <= i; j++) sum += values[j] as number;
    mean[i] = sum / n;
  }
  return mean;
}

/** The incident's kind is the episode source that added the most PM10 to the hours averaged in it. */
function labelled(
  interval: ExceedanceInterval,
  hourly: Float64Array,
  s: DustSources,
  rowsPerHour: number,
): DustIncident {
  const from = Math.max(0, interval.startIndex - rowsPerHour + 1);
  const totals: Array<[DustIncidentKind, number]> = [
    ["blasting", sum(s.blast, from, interval.endIndex)],
    ["haul-road", sum(s.haul, from, interval.endIndex)],
    ["wind-erosion", sum(s.erosion, from, interval.endIndex)],
  ];
  const [kind, total] = totals.reduce((best, next) => (next[1] > best[1] ? next : best));
  let peak = 0;
  for (let i = interval.startIndex; i < interval.endIndex; i++) peak = Math.max(peak, hourly[i] as number);
  return { ...interval, kind: total > 0 ? kind : "background", peakHourlyPm10: roundTo(peak, 1) };
}

function sum(values: Float64Array, from: number, to: number): number {
  let total = 0;
  for (let i = from; i < to; i++) total += values[i] as number;
  return total;
}
