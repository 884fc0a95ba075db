import { describe, expect, it } from "vitest";
import { BATADAL_SENSORS } from "../src/batadal/batadal-csv.ts";
import {
  BATADAL_CONTROL_MAP,
  type BatadalControlRule,
  controlTerm,
  controlViolation,
  learnControlRules,
  UNBOUNDED_LEVEL,
} from "../src/batadal/control-rules.ts";

const S_PU2 = BATADAL_SENSORS.indexOf("S_PU2");
const L_T1 = BATADAL_SENSORS.indexOf("L_T1");
const S_PU6 = BATADAL_SENSORS.indexOf("S_PU6");
const L_T4 = BATADAL_SENSORS.indexOf("L_T4");

/** A row with every reading 0 (all actuators off) except the given ones. */
function row(values: Record<number, number>): Float64Array {
  const r = new Float64Array(BATADAL_SENSORS.length);
  for (const [j, v] of Object.entries(values)) r[Number(j)] = v;
  return r;
}

/** PU2 by L_T1: on ⇒ level ≤ 4.5, off ⇒ level ≥ 1, sd 0.5; every other actuator without bounds. */
function rules(): BatadalControlRule[] {
  return BATADAL_CONTROL_MAP.map(({ actuator, tank }) =>
    actuator === "S_PU2"
      ? { actuator, tank, hiOn: 4.5, loOff: 1, levelSd: 0.5 }
      : { actuator, tank, hiOn: UNBOUNDED_LEVEL, loOff: -UNBOUNDED_LEVEL, levelSd: 1 },
  );
}

const model = { controlRules: rules(), memoryHours: 3, featureSpec: { decimals: 2 } };

describe("control rules", () => {
  it("map each actuator to the tank C-Town's PLC switches it by", () => {
    expect(BATADAL_CONTROL_MAP.map((r) => `${r.actuator}←${r.tank}`)).toEqual([
      "S_PU2←L_T1",
      "S_PU4←L_T3",
      "S_PU6←L_T4",
      "S_PU7←L_T4",
      "S_PU8←L_T5",
      "S_PU10←L_T7",
      "S_PU11←L_T7",
      "S_V2←L_T2",
    ]);
  });

  it("a pump on above its hiOn violates by the excess; off below loOff by the shortfall", () => {
    const [pu2] = rules() as [BatadalControlRule];
    expect(controlViolation(pu2, 0, row({ [S_PU2]: 1, [L_T1]: 4.75 }), 2)).toBe(0.25);
    expect(controlViolation(pu2, 0, row({ [S_PU2]: 1, [L_T1]: 4.5 }), 2)).toBe(0);
    expect(controlViolation(pu2, 0, row({ [L_T1]: 0.5 }), 2)).toBe(0.5);
    expect(controlViolation(pu2, 0, row({ [L_T1]: 4.75 }), 2)).toBe(0);
  });

  it("remembers a violation while the status stays, for memoryHours, and forgets it when the status changes", () => {
    const on = (level: number) => row({ [S_PU2]: 1, [L_T1]: level });
    // Hour 1 is 0.25 m above hiOn = 0.5 sd: term (0.25 / 0.5)² = 0.25 for hours 1..4 (memory 3), then 0.
    const staying = [on(4), on(4.75), on(4.25), on(4), on(4), on(4)];
    expect(staying.map((_, t) => controlTerm(model, staying, t))).toEqual([0, 0.25, 0.25, 0.25, 0.25, 0]);
    // Switched off at hour 2 at a level above loOff: a new run, no violation.
    const switched = [on(4), on(4.75), row({ [L_T1]: 4.25 }), row({ [L_T1]: 4 })];
    expect(switched.map((_, t) => controlTerm(model, switched, t))).toEqual([0, 0.25, 0, 0]);
  });

  it("a bound not learned never fires", () => {
    // PU6 on with L_T4 far above anything, then off far below; PU2 off at a level above its loOff.
    const far = [row({ [S_PU6]: 1, [L_T4]: 99, [L_T1]: 2 }), row({ [L_T4]: -99, [L_T1]: 2 })];
    expect(far.map((_, t) => controlTerm(model, far, t))).toEqual([0, 0]);
  });

  it("learns hiOn and loOff only from states held at least 100 training hours", () => {
    // PU2 on for 100 hours at levels 3.00..3.99, off for 99 hours at 2.00..2.98; PU6 on for 99 hours only.
    const rows = [
      ...Array.from({ length: 100 }, (_, t) => row({ [S_PU2]: 1, [L_T1]: 3 + t / 100, [S_PU6]: 1 })),
      ...Array.from({ length: 99 }, (_, t) => row({ [L_T1]: 2 + t / 100, [L_T4]: 2 })),
    ];
    rows[0]?.fill(0, S_PU6, S_PU6 + 1);
    const [pu2, , pu6] = learnControlRules(rows, 2) as BatadalControlRule[];
    expect(pu2).toMatchObject({ actuator: "S_PU2", tank: "L_T1", hiOn: Math.fround(3.99), loOff: -UNBOUNDED_LEVEL });
    expect(pu6).toMatchObject({ actuator: "S_PU6", tank: "L_T4", hiOn: UNBOUNDED_LEVEL, loOff: 0 });
    expect(pu6?.levelSd).toBe(Math.fround(Math.sqrt((99 * 4 * 100) / 199 ** 2)));
  });
});
