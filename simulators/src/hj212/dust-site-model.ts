import type { Random } from "../random.ts";

/** What a factor's signal may depend on besides time: the site's local clock and the scenario. */
export interface DustSiteContext {
  /** Local hour of day as a fraction, 0 ≤ h < 24. */
  hour: number;
  /** PM10 added by a dust episode at this instant, µg/m³ (0 outside one). */
  pm10Episode: number;
}

/** One monitoring factor of an HJ 212 logger, with the signal it follows. */
export interface Hj212SimulatedFactor {
  /** HJ 212-2017 Appendix B code, e.g. a34002. */
  code: string;
  name: string;
  /** A label for documentation: HJ 212 frames carry no units. */
  unit: string;
  /** Digits after the point in the frame (the data type Appendix B gives, e.g. N4.1). */
  decimals: number;
  /** Angles are averaged as vectors (a wind from 350° and one from 10° average to 0°, not 180°). */
  average: "arithmetic" | "circular";
  signal: (t: number, random: Random, site: DustSiteContext) => number;
}

/** A PM10 exceedance: PM10 rises smoothly to `peak` µg/m³ above normal and falls back. */
export interface DustEpisode {
  startMs: number;
  durationMs: number;
  peak: number;
}

/** Extra PM10 at `t`: a sin² bump over the episode (0 outside it). */
export function episodePm10(episode: DustEpisode | undefined, t: number): number {
  if (episode === undefined || t < episode.startMs || t >= episode.startMs + episode.durationMs) return 0;
  return episode.peak * Math.sin((Math.PI * (t - episode.startMs)) / episode.durationMs) ** 2;
}

/** Centred noise in [-1, 1). */
const jitter = (random: Random) => 2 * random() - 1;

/** Site works run 07:00–18:00: earth-moving raises coarse dust and noise (logistic edges). */
export const siteActivity = (hour: number): number =>
  1 / (1 + Math.exp(-3 * (hour - 7))) / (1 + Math.exp(3 * (hour - 18)));

/** The night-time inversion traps fine particles; it peaks around 06:00 and lifts by the afternoon. */
const inversion = (hour: number) => 0.5 * (1 + Math.cos((2 * Math.PI * (hour - 6)) / 24));

/** Air temperature follows the sun with its maximum around 15:00. */
const warmth = (hour: number) => Math.cos((2 * Math.PI * (hour - 15)) / 24);

/**
 * A construction-site / coal-yard dust monitor (扬尘监测仪, ST=39), in the units of the HJ 212
 * receiver's built-in table: particulates in µg/m³. PM2.5 < PM10 < TSP holds at every sample:
 * the means are far enough apart that the independent noise never reorders them.
 */
export const dustMonitorFactors: readonly Hj212SimulatedFactor[] = [
  {
    code: "a34001",
    name: "TSP",
    unit: "ug/m3",
    decimals: 1,
    average: "arithmetic",
    signal: (_t, r, s) =>
      1.5 * (50 + 22 * inversion(s.hour) + 45 * siteActivity(s.hour) + s.pm10Episode) + 6 * jitter(r),
  },
  {
    code: "a34002",
    name: "PM10",
    unit: "ug/m3",
    decimals: 1,
    average: "arithmetic",
    signal: (_t, r, s) => 50 + 22 * inversion(s.hour) + 45 * siteActivity(s.hour) + s.pm10Episode + 4 * jitter(r),
  },
  {
    code: "a34004",
    name: "PM2.5",
    unit: "ug/m3",
    decimals: 1,
    average: "arithmetic",
    signal: (_t, r, s) => 26 + 14 * inversion(s.hour) + 5 * siteActivity(s.hour) + 0.15 * s.pm10Episode + 2 * jitter(r),
  },
  {
    code: "LA",
    name: "noise",
    unit: "dB(A)",
    decimals: 1,
    average: "arithmetic",
    signal: (_t, r, s) => 48 + 20 * siteActivity(s.hour) + 2.5 * jitter(r),
  },
  {
    code: "a01007",
    name: "wind speed",
    unit: "m/s",
    decimals: 1,
    average: "arithmetic",
    signal: (_t, r, s) => Math.max(0, 2.2 + 1.2 * warmth(s.hour) + 0.8 * jitter(r)),
  },
  {
    code: "a01008",
    name: "wind direction",
    unit: "deg",
    decimals: 0,
    average: "circular",
    // A south-easterly prevailing wind, veering ±45°.
    signal: (_t, r) => (135 + 45 * jitter(r) + 360) % 360,
  },
  {
    code: "a01001",
    name: "temperature",
    unit: "degC",
    decimals: 1,
    average: "arithmetic",
    signal: (_t, r, s) => 14 + 7 * warmth(s.hour) + 0.3 * jitter(r),
  },
  {
    code: "a01002",
    name: "humidity",
    unit: "%",
    decimals: 1,
    average: "arithmetic",
    signal: (_t, r, s) => Math.min(100, Math.max(0, 60 - 18 * warmth(s.hour) + 2 * jitter(r))),
  },
];
