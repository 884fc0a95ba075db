// Synthetic BATADAL-like attacks written into held-out hours of dataset03, for validating the detector without
// dataset04. There is no hydraulic simulator here: a manipulated pump moves its tank's level by a crude mass
// balance (the level change per unit of flow, fitted on the training rows). The generator is the one the
// control-term research used, call for call on the seeded generator, so the same seed gives the same attacks.
// The simulators' mulberry32, imported from its module: the package index would load node-opcua and more.
import { type Random, seededRandom } from "../../simulators/src/random.ts";
import { BATADAL_SENSORS, type BatadalSensor } from "../src/index.ts";

export type SyntheticAttackKind = "level-offset" | "pump-force" | "threshold-change";

/** Dealt in turn: attack i of seed s is of kind (i + s) mod 3. */
export const SYNTHETIC_ATTACK_KINDS: readonly SyntheticAttackKind[] = [
  "level-offset",
  "pump-force",
  "threshold-change",
];

/** The actuators the attacks manipulate, with their flow column and the tank they fill. */
const ACTUATORS: readonly { status: BatadalSensor; flow: BatadalSensor; tank: BatadalSensor }[] = [
  { status: "S_PU2", flow: "F_PU2", tank: "L_T1" },
  { status: "S_PU4", flow: "F_PU4", tank: "L_T3" },
  { status: "S_PU7", flow: "F_PU7", tank: "L_T4" },
  { status: "S_PU8", flow: "F_PU8", tank: "L_T5" },
  { status: "S_PU10", flow: "F_PU10", tank: "L_T7" },
  { status: "S_V2", flow: "F_V2", tank: "L_T2" },
];
const TANKS: readonly BatadalSensor[] = ["L_T1", "L_T2", "L_T3", "L_T4", "L_T5", "L_T6", "L_T7"];

const column = (sensor: BatadalSensor): number => BATADAL_SENSORS.indexOf(sensor);
/** The files' resolution: attacked readings are written with 2 decimals, as dataset04 is. */
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** What the attacks need to know of normal operation, learned from the training rows. */
export interface SyntheticContext {
  /** Per actuator: tank level change per (flow unit · hour), from a least-squares fit, at least 0. */
  slope: Map<BatadalSensor, number>;
  /** Per actuator: the median flow while on. */
  onFlow: Map<BatadalSensor, number>;
  /** Per tank: the lowest and highest level in training; attacked levels stay inside. */
  low: Map<BatadalSensor, number>;
  high: Map<BatadalSensor, number>;
}

function levelSlope(rows: readonly Float64Array[], flow: number, tank: number): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let t = 0; t + 1 < rows.length; t++) {
    const x = (rows[t] as Float64Array)[flow] as number;
    const y = ((rows[t + 1] as Float64Array)[tank] as number) - ((rows[t] as Float64Array)[tank] as number);
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  return Math.max(0, (sxy - (sx * sy) / n) / (sxx - (sx * sx) / n));
}

export function syntheticContext(rows: readonly Float64Array[]): SyntheticContext {
  const context: SyntheticContext = { slope: new Map(), onFlow: new Map(), low: new Map(), high: new Map() };
  for (const tank of TANKS) {
    const j = column(tank);
    context.low.set(
      tank,
      rows.reduce((low, row) => Math.min(low, row[j] as number), Number.POSITIVE_INFINITY),
    );
    context.high.set(
      tank,
      rows.reduce((high, row) => Math.max(high, row[j] as number), Number.NEGATIVE_INFINITY),
    );
  }
  for (const { status, flow, tank } of ACTUATORS) {
    const [js, jf] = [column(status), column(flow)];
    const on = rows.filter((row) => row[js] === 1).map((row) => row[jf] as number);
    on.sort((x, y) => x - y);
    context.onFlow.set(status, on[Math.floor(on.length / 2)] ?? 0);
    context.slope.set(status, levelSlope(rows, jf, column(tank)));
  }
  return context;
}

export interface SyntheticAttack {
  kind: SyntheticAttackKind;
  /** Rows [start, end) of the attacked series. */
  start: number;
  end: number;
  /** What was done, e.g. `L_T4 +0.52`, `S_PU7→1`, `S_PU2 1.62/3.90` (the attacker's switching levels). */
  detail: string;
}

/** Adds an offset to one tank's level, ramped in over 3 hours. */
function offsetLevel(rows: Float64Array[], start: number, end: number, random: Random): string {
  const tank = TANKS[Math.floor(random() * TANKS.length)] as BatadalSensor;
  const j = column(tank);
  const offset = (random() < 0.5 ? -1 : 1) * (0.3 + 0.7 * random());
  for (let t = start; t < end; t++) {
    const row = rows[t] as Float64Array;
    row[j] = round2((row[j] as number) + offset * Math.min(1, (t - start + 1) / 3));
  }
  return `${tank} ${offset >= 0 ? "+" : ""}${offset.toFixed(2)}`;
}

/**
 * Forces one actuator to the state it is not in at the start (pump-force), or runs it by a hysteresis controller
 * with other switching levels inside the tank's range (threshold-change); its flow and its tank's level follow.
 */
function overrideActuator(
  kind: SyntheticAttackKind,
  rows: Float64Array[],
  [start, end]: [number, number],
  context: SyntheticContext,
  random: Random,
): string {
  const actuator = ACTUATORS[Math.floor(random() * ACTUATORS.length)] as (typeof ACTUATORS)[number];
  const [js, jf, jt] = [column(actuator.status), column(actuator.flow), column(actuator.tank)];
  const slope = context.slope.get(actuator.status) as number;
  const onFlow = context.onFlow.get(actuator.status) as number;
  const low = context.low.get(actuator.tank) as number;
  const high = context.high.get(actuator.tank) as number;
  let forced = (rows[start] as Float64Array)[js] === 1 ? 0 : 1;
  // Drawn for both kinds, so that the generator's sequence does not depend on the kind.
  const switchOn = low + (high - low) * (0.1 + 0.3 * random());
  const switchOff = switchOn + (high - switchOn) * (0.3 + 0.4 * random());
  let shift = 0; // level change accumulated from the flow the manipulation added or removed
  for (let t = start; t < end; t++) {
    const row = rows[t] as Float64Array;
    const level = (row[jt] as number) + shift;
    if (kind === "threshold-change") {
      if (level < switchOn) forced = 1;
      else if (level > switchOff) forced = 0;
    }
    const flow = forced === row[js] ? (row[jf] as number) : forced === 1 ? onFlow : 0;
    shift += slope * (flow - (row[jf] as number));
    row[js] = forced;
    row[jf] = round2(flow);
    row[jt] = round2(Math.min(high, Math.max(low, level)));
  }
  return kind === "threshold-change"
    ? `${actuator.status} ${switchOn.toFixed(2)}/${switchOff.toFixed(2)}`
    : `${actuator.status}→${forced}`;
}

export interface AttackedSeries {
  rows: Float64Array[];
  /** 1 in attacked hours. */
  labels: Uint8Array;
  attacks: SyntheticAttack[];
}

/**
 * A copy of `held` with `count` attacks of 24–96 hours, one in each of `count` equal slots, at least 48 normal
 * hours from the slot's edges (so attacks never touch); kinds dealt in turn starting at `seed` mod 3. Lengths,
 * places, targets and sizes come from `seededRandom(seed)`.
 */
export function withSyntheticAttacks(
  held: readonly Float64Array[],
  context: SyntheticContext,
  seed: number,
  count = 6,
): AttackedSeries {
  const random = seededRandom(seed);
  const rows = held.map((row) => Float64Array.from(row));
  const labels = new Uint8Array(held.length);
  const slot = Math.floor(held.length / count);
  const attacks: SyntheticAttack[] = [];
  for (let i = 0; i < count; i++) {
    const length = 24 + Math.floor(random() * 73);
    const start = i * slot + 48 + Math.floor(random() * Math.max(1, slot - length - 96));
    const end = Math.min(held.length, start + length);
    const kind = SYNTHETIC_ATTACK_KINDS[(i + seed) % SYNTHETIC_ATTACK_KINDS.length] as SyntheticAttackKind;
    const detail =
      kind === "level-offset"
        ? offsetLevel(rows, start, end, random)
        : overrideActuator(kind, rows, [start, end], context, random);
    attacks.push({ kind, start, end, detail });
    labels.fill(1, start, end);
  }
  return { rows, labels, attacks };
}
