/**
 * Units the profile checker understands, by dimension, with the factor to the dimension's first
 * unit. Temperatures are affine (degC → K adds 273.15), so they convert by scale and offset.
 * Units are labels to the agent: it never converts a value, only applies a point's scale/offset.
 */
export interface UnitInfo {
  dimension: string;
  /** Value in this unit × factor = value in the dimension's base unit. */
  factor: number;
  /** Added after the factor (affine units only). */
  offset?: number;
}

const table: Record<string, Record<string, number | [number, number]>> = {
  "mass concentration": { "ug/m3": 1, "mg/m3": 1_000, "g/m3": 1_000_000 },
  length: { m: 1, mm: 0.001, cm: 0.01, km: 1_000 },
  pressure: { Pa: 1, hPa: 100, kPa: 1_000, MPa: 1_000_000, bar: 100_000, mbar: 100 },
  "volume flow": { "m3/h": 1, "m3/s": 3_600, "m3/min": 60, "L/s": 3.6, "L/min": 0.06 },
  volume: { m3: 1, L: 0.001 },
  speed: { "m/s": 1, "km/h": 1 / 3.6 },
  temperature: { degC: 1, K: [1, -273.15], degF: [5 / 9, -160 / 9] },
  energy: { Wh: 1, kWh: 1_000, MWh: 1_000_000, MJ: 1_000_000 / 3_600, GJ: 1_000_000_000 / 3_600 },
  power: { W: 1, kW: 1_000, MW: 1_000_000 },
  "sound level": { "dB(A)": 1 },
  "signal level": { dB: 1, dBm: 1 },
  "relative humidity": { "%RH": 1 },
  "explosive limit": { "%LEL": 1 },
  "volume fraction": { ppm: 1, "%vol": 10_000 },
  ratio: { "%": 1 },
  angle: { deg: 1, rad: 180 / Math.PI },
  voltage: { V: 1, mV: 0.001 },
  current: { A: 1, mA: 0.001 },
  time: { s: 1, ms: 0.001, min: 60, h: 3_600 },
};

export const UNITS: ReadonlyMap<string, UnitInfo> = new Map(
  Object.entries(table).flatMap(([dimension, units]) =>
    Object.entries(units).map(([unit, f]): [string, UnitInfo] =>
      Array.isArray(f) ? [unit, { dimension, factor: f[0], offset: f[1] }] : [unit, { dimension, factor: f }],
    ),
  ),
);

/** Units of one dimension, for hints. */
export function unitsOf(dimension: string): string[] {
  return [...UNITS].filter(([, info]) => info.dimension === dimension).map(([unit]) => unit);
}

/**
 * How a value in `from` becomes one in `to`: to = from × scale + offset; undefined across dimensions
 * or for units not in the table.
 */
export function conversion(from: string, to: string): { scale: number; offset: number } | undefined {
  const a = UNITS.get(from);
  const b = UNITS.get(to);
  if (a === undefined || b === undefined || a.dimension !== b.dimension) return undefined;
  // base = v × a.factor + a.offset;  to = (base − b.offset) / b.factor
  const scale = a.factor / b.factor;
  const offset = ((a.offset ?? 0) - (b.offset ?? 0)) / b.factor;
  return { scale, offset };
}
