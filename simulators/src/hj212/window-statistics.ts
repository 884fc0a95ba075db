import type { Hj212SimulatedFactor } from "./dust-site-model.ts";

/** One factor's value as a real-time frame carried it: rounded as sent, with its data flag. */
export interface SentValue {
  code: string;
  value: number;
  flag: string;
}

/**
 * The statistics of one minute or hour window, over what the logger sent in it (HJ 212-2017
 * §6.6.5: minute data 2051 and hourly data 2061 carry `-Avg`, `-Min`, `-Max` and `-Flag`).
 * Only samples flagged N (HJ 212-2017 表 8: working normally) count, as loggers leave out data
 * taken while an instrument is stopped or faulty; a window with no N sample at all is computed
 * over everything and carries the flag of its last sample.
 */
export class WindowStatistics {
  readonly #samples = new Map<string, SentValue[]>();

  constructor(
    readonly start: number,
    readonly factors: readonly Hj212SimulatedFactor[],
  ) {}

  get empty(): boolean {
    return this.#samples.size === 0;
  }

  add(sample: readonly SentValue[]): void {
    for (const v of sample) {
      const list = this.#samples.get(v.code) ?? [];
      list.push(v);
      this.#samples.set(v.code, list);
    }
  }

  /** `a34002-Avg=…,a34002-Min=…,a34002-Max=…,a34002-Flag=N;…` in the order of the factors. */
  dataArea(): string {
    const items: string[] = [];
    for (const factor of this.factors) {
      const all = this.#samples.get(factor.code);
      if (all === undefined || all.length === 0) continue;
      const normal = all.filter((v) => v.flag === "N");
      const used = normal.length > 0 ? normal : all;
      const flag = normal.length > 0 ? "N" : (all[all.length - 1] as SentValue).flag;
      const values = used.map((v) => v.value);
      let avg =
        factor.average === "circular" ? circularMean(values) : values.reduce((a, b) => a + b, 0) / values.length;
      if (factor.average === "circular" && Number(formatValue(avg, factor.decimals)) >= 360) avg = 0; // 359.8° is 0°
      const c = factor.code;
      const f = (x: number) => formatValue(x, factor.decimals);
      items.push(
        `${c}-Avg=${f(avg)},${c}-Min=${f(Math.min(...values))},${c}-Max=${f(Math.max(...values))},${c}-Flag=${flag}`,
      );
    }
    return items.join(";");
  }
}

/** Mean direction of angles in degrees, in [0, 360). */
export function circularMean(degrees: readonly number[]): number {
  let x = 0;
  let y = 0;
  for (const d of degrees) {
    x += Math.cos((d * Math.PI) / 180);
    y += Math.sin((d * Math.PI) / 180);
  }
  const mean = (Math.atan2(y, x) * 180) / Math.PI;
  return (mean + 360) % 360;
}

/** Fixed decimals as the frame carries them; never "-0.0". */
export function formatValue(value: number, decimals: number): string {
  const text = value.toFixed(decimals);
  return Number(text) === 0 ? (0).toFixed(decimals) : text;
}
