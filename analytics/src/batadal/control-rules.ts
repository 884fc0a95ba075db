import { BATADAL_SENSORS, type BatadalSensor } from "./batadal-csv.ts";
import { quantizeReading } from "./feature-window.ts";

/**
 * Which tank's level switches each actuator: C-Town's PLC control rules (the BATADAL C-Town network, confirmed on
 * dataset03 by the tank levels at the hours each actuator switched). Fixed rather than learned: choosing the tank
 * from the data got V2, PU6 and PU11 wrong. PU1, PU3, PU5 and PU9 are left out (always on, or never on, in training).
 */
export const BATADAL_CONTROL_MAP: readonly { actuator: BatadalSensor; tank: BatadalSensor }[] = Object.freeze([
  { actuator: "S_PU2", tank: "L_T1" },
  { actuator: "S_PU4", tank: "L_T3" },
  { actuator: "S_PU6", tank: "L_T4" },
  { actuator: "S_PU7", tank: "L_T4" },
  { actuator: "S_PU8", tank: "L_T5" },
  { actuator: "S_PU10", tank: "L_T7" },
  { actuator: "S_PU11", tank: "L_T7" },
  { actuator: "S_V2", tank: "L_T2" },
]);

/**
 * The level envelope of one actuator learned in training: while on, its tank never stood above `hiOn`; while off,
 * never below `loOff` (a hysteresis controller switches a pump off at a high level and on at a low one).
 */
export interface BatadalControlRule {
  actuator: string;
  tank: string;
  /** Highest tank level seen while the actuator was on (metres), or `UNBOUNDED_LEVEL` if not learned. */
  hiOn: number;
  /** Lowest tank level seen while the actuator was off (metres), or −`UNBOUNDED_LEVEL` if not learned. */
  loOff: number;
  /** Standard deviation of the tank level in training (at least one rounding step): violations are divided by it. */
  levelSd: number;
}

/** Stands for "no bound": no tank level comes near it, so the violation against it is always 0. */
export const UNBOUNDED_LEVEL = 1e6;

/** A bound needs this many training hours in the state it bounds: the extreme of a handful of hours is no rule. */
export const MIN_STATE_HOURS = 100;

const ON_LEVEL = 0.5;

interface Columns {
  status: number;
  level: number;
}

const COLUMNS: readonly Columns[] = BATADAL_CONTROL_MAP.map(({ actuator, tank }) => ({
  status: BATADAL_SENSORS.indexOf(actuator),
  level: BATADAL_SENSORS.indexOf(tank),
}));

/** Learns every actuator's envelope from hourly readings of normal operation (rounded to `decimals` first). */
export function learnControlRules(rows: readonly ArrayLike<number>[], decimals: number): BatadalControlRule[] {
  return BATADAL_CONTROL_MAP.map(({ actuator, tank }, a) => {
    const { status, level } = COLUMNS[a] as Columns;
    let hiOn = Number.NEGATIVE_INFINITY;
    let loOff = Number.POSITIVE_INFINITY;
    let onHours = 0;
    let sum = 0;
    const levels = new Float64Array(rows.length);
    rows.forEach((row, t) => {
      const L = quantizeReading(row[level] as number, decimals);
      levels[t] = L;
      sum += L;
      if (quantizeReading(row[status] as number, decimals) > ON_LEVEL) {
        hiOn = Math.max(hiOn, L);
        onHours++;
      } else loOff = Math.min(loOff, L);
    });
    const mean = sum / rows.length;
    let squares = 0;
    for (const L of levels) squares += (L - mean) ** 2;
    const sd = Math.sqrt(squares / rows.length);
    return {
      actuator,
      tank,
      hiOn: onHours >= MIN_STATE_HOURS ? hiOn : UNBOUNDED_LEVEL,
      loOff: rows.length - onHours >= MIN_STATE_HOURS ? loOff : -UNBOUNDED_LEVEL,
      levelSd: Math.fround(Math.max(sd, 10 ** -decimals)),
    };
  });
}

function isOn(row: ArrayLike<number>, a: number, decimals: number): boolean {
  return quantizeReading(row[(COLUMNS[a] as Columns).status] as number, decimals) > ON_LEVEL;
}

/**
 * The violation of actuator a's envelope at one hour, in metres: on ? max(0, L − hiOn) : max(0, loOff − L), with
 * the subtraction in float32 as the ONNX graph computes it.
 */
export function controlViolation(
  rule: BatadalControlRule,
  a: number,
  row: ArrayLike<number>,
  decimals: number,
): number {
  const L = quantizeReading(row[(COLUMNS[a] as Columns).level] as number, decimals);
  const beyond = isOn(row, a, decimals) ? Math.fround(L - rule.hiOn) : Math.fround(rule.loOff - L);
  return Math.max(0, beyond);
}

export interface ControlTermModel {
  controlRules: readonly BatadalControlRule[];
  memoryHours: number;
  featureSpec: { decimals: number };
}

/**
 * Σ_a (c_a / sd_a)² at row `t` of `rows`: c_a is the largest violation of actuator a's envelope over row t and the
 * `memoryHours` rows before it that lie in the actuator's current on/off run (no status change since). A pump that
 * should have been switched off and stays on keeps violating its rule until it switches, even after its tank
 * level looks normal again. Rows before the start of `rows` do not exist (no fake hours).
 */
export function controlTerm(model: ControlTermModel, rows: readonly ArrayLike<number>[], t: number): number {
  const decimals = model.featureSpec.decimals;
  let total = 0;
  model.controlRules.forEach((rule, a) => {
    const state = isOn(rows[t] as ArrayLike<number>, a, decimals);
    let worst = 0;
    for (let s = t; s >= Math.max(0, t - model.memoryHours); s--) {
      const row = rows[s] as ArrayLike<number>;
      if (isOn(row, a, decimals) !== state) break;
      worst = Math.max(worst, controlViolation(rule, a, row, decimals));
    }
    const scaled = Math.fround(worst / rule.levelSd);
    total += Math.fround(scaled * scaled);
  });
  return total;
}
