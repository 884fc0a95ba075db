import { localHourOfDay } from "../local-time.ts";
import { seededRandom } from "../random.ts";

export const FIVE_MINUTES = 300_000;
const HOUR = 3_600_000;

/** A storm: rain ramps up to a peak, and the river rises faster than the local rain explains. */
export interface StormScenario {
  startMs: number;
  durationMs: number;
  /** Time for the rain to reach its peak. */
  rampMs: number;
  /** Rain at the peak, mm per 5 minutes (e.g. 4: 48 mm/h, a rainstorm). */
  peakMmPer5Min: number;
  /**
   * Rise of the water level by the storm's end from inflow upstream (rain elsewhere in the
   * catchment, a release upstream): it grows with the square of the elapsed time, and recedes
   * over two hours after the storm.
   */
  surgeM: number;
}

/** A span during which the level is below the gauge datum (a negative reading). */
export interface BelowDatumScenario {
  startMs: number;
  durationMs: number;
  levelM: number;
}

export interface HydrologySiteOptions {
  seed?: number;
  /** UTC offset of the site, minutes (for the solar charge of the battery). */
  offsetMinutes?: number;
  /** Water level above the gauge datum without rain, m; default 12.3. */
  baseLevelM?: number;
  /** Chance that a given hour brings rain; default 0.12. */
  rainProbability?: number;
  /** Peak rise of the level per mm of local rain, m; default 0.03. */
  levelGainMPerMm?: number;
  storm?: StormScenario;
  belowDatum?: BelowDatumScenario;
}

/** Lag of the river's answer to local rain (a gamma-like unit hydrograph peaking here). */
const LAG_BUCKETS = 6;
const MEMORY_BUCKETS = 72;

/**
 * A rain gauge and a radar water-level gauge on a small river. Every value is a function of
 * time and the seed alone (a hash of the seed and the 5-minute bucket, not a random stream), so
 * that any report can be recomputed in any order: the one an RTU sent an hour ago, or the one
 * a test expects.
 */
export class HydrologySite {
  readonly #seed: number;
  readonly #options: HydrologySiteOptions;

  constructor(options: HydrologySiteOptions = {}) {
    this.#options = options;
    this.#seed = (options.seed ?? 1) >>> 0;
  }

  /** Rain in the 5-minute bucket starting at `index × 5 min`, in 0.1 mm (a tipping bucket's resolution). */
  rainTenths(index: number): number {
    const hourly = this.#noise(Math.floor(index / 12), 1);
    let mm = 0;
    if (hourly < (this.#options.rainProbability ?? 0.12)) {
      const mmPerHour = 0.5 + 10 * this.#noise(Math.floor(index / 12), 2) ** 2;
      mm = (mmPerHour / 12) * (0.3 + 1.4 * this.#noise(index, 3));
    }
    const storm = this.#options.storm;
    const start = index * FIVE_MINUTES;
    if (storm !== undefined && start >= storm.startMs && start < storm.startMs + storm.durationMs) {
      const ramp = Math.min(1, (start + FIVE_MINUTES - storm.startMs) / storm.rampMs);
      mm += storm.peakMmPer5Min * ramp * (0.85 + 0.3 * this.#noise(index, 4));
    }
    return Math.round(mm * 10);
  }

  /** Rain of the bucket that ends at `end` (a multiple of 5 minutes), mm. */
  rainEndingAt(end: number): number {
    return this.rainTenths(Math.round(end / FIVE_MINUTES) - 1) / 10;
  }

  /** Rain of the buckets that end in (from, to], in 0.1 mm (integers, so sums are exact). */
  rainTenthsBetween(from: number, to: number): number {
    let sum = 0;
    for (let k = Math.floor(from / FIVE_MINUTES); (k + 1) * FIVE_MINUTES <= to; k++) {
      if ((k + 1) * FIVE_MINUTES > from) sum += this.rainTenths(k);
    }
    return sum;
  }

  /** Water level above the datum at `t`, m, to the radar gauge's millimetre. */
  waterLevel(t: number): number {
    const below = this.#options.belowDatum;
    if (below !== undefined && t >= below.startMs && t < below.startMs + below.durationMs) {
      return round(below.levelM + 0.004 * (this.#noise(Math.floor(t / 1000), 5) - 0.5), 3);
    }
    const gain = this.#options.levelGainMPerMm ?? 0.03;
    const end = Math.floor(t / FIVE_MINUTES);
    let response = 0;
    for (let j = 0; j < MEMORY_BUCKETS; j++) {
      const age = (t - (end - j) * FIVE_MINUTES) / FIVE_MINUTES; // since the bucket ended
      const unit = (age / LAG_BUCKETS) * Math.exp(1 - age / LAG_BUCKETS); // 1 at the lag
      response += (this.rainTenths(end - j - 1) / 10) * unit;
    }
    const base = this.#options.baseLevelM ?? 12.3;
    const daily = 0.01 * Math.sin((2 * Math.PI * (t % 86_400_000)) / 86_400_000);
    const ripple = 0.004 * (this.#noise(Math.floor(t / 1000), 5) - 0.5);
    return round(base + gain * response + this.surge(t) + daily + ripple, 3);
  }

  /** The storm's rise that local rain does not explain, m. */
  surge(t: number): number {
    const storm = this.#options.storm;
    if (storm === undefined || t < storm.startMs) return 0;
    const end = storm.startMs + storm.durationMs;
    if (t < end) return storm.surgeM * ((t - storm.startMs) / storm.durationMs) ** 2;
    return storm.surgeM * Math.exp(-(t - end) / (2 * HOUR));
  }

  /** Battery voltage: 12.4 V at night, up to 13.6 V while the solar panel charges, V. */
  voltage(t: number): number {
    const hour = localHourOfDay(t, this.#options.offsetMinutes ?? 480);
    const sun = Math.max(0, Math.sin((Math.PI * (hour - 6)) / 12));
    return round(12.4 + 1.2 * sun + 0.06 * (this.#noise(Math.floor(t / 60_000), 6) - 0.5), 2);
  }

  /** A number in [0, 1) fixed by the seed, a key and a salt. */
  #noise(key: number, salt: number): number {
    return seededRandom((this.#seed ^ Math.imul(key | 0, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0)();
  }
}

const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;
