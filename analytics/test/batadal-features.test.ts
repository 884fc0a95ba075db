import { describe, expect, it } from "vitest";
import { BATADAL_SENSORS } from "../src/batadal/batadal-csv.ts";
import { BatadalStreamScorer, scoreRows, scoreWindow, stepScore } from "../src/batadal/batadal-detector.ts";
import { BATADAL_MODEL_FORMAT, type BatadalModel } from "../src/batadal/batadal-model.ts";
import {
  BATADAL_CONTROL_MAP,
  type BatadalControlRule,
  controlTerm,
  UNBOUNDED_LEVEL,
} from "../src/batadal/control-rules.ts";
import {
  BATADAL_FEATURE_COUNT,
  BATADAL_FEATURE_NAMES,
  featureWindow,
  quantizeReading,
  trailingWindow,
} from "../src/batadal/feature-window.ts";
import { fitDetectorParameters } from "../src/batadal/fit-detector.ts";

const S = BATADAL_SENSORS.length;
const F = BATADAL_FEATURE_COUNT;
const SPEC = { decimals: 2 };

/** A deterministic hourly series: daily cycles per sensor plus a seeded pseudo-random wobble. */
function series(hours: number, seed = 7): Float64Array[] {
  let state = seed;
  const next = () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647 - 0.5;
  };
  return Array.from({ length: hours }, (_, t) =>
    Float64Array.from({ length: S }, (_, j) => 10 + j + 3 * Math.sin((2 * Math.PI * (t + j)) / 24) + 0.3 * next()),
  );
}

/** Envelopes that never bind: no control violation anywhere. */
function unboundedRules(): BatadalControlRule[] {
  return BATADAL_CONTROL_MAP.map(({ actuator, tank }) => ({
    actuator,
    tank,
    hiOn: UNBOUNDED_LEVEL,
    loOff: -UNBOUNDED_LEVEL,
    levelSd: 1,
  }));
}

/** center 0, scale 1, identity whitening, ranges that never bind: step score = ln(1 + Σ f²). */
function identityModel(smoothingHours: number): BatadalModel {
  const whitening = new Float32Array(F * F);
  for (let j = 0; j < F; j++) whitening[j * F + j] = 1;
  return {
    format: BATADAL_MODEL_FORMAT,
    sensors: [...BATADAL_SENSORS],
    featureSpec: SPEC,
    smoothingHours,
    memoryHours: 1,
    windowRows: smoothingHours + 1,
    center: new Float32Array(F),
    scale: new Float32Array(F).fill(1),
    whitening,
    lower: new Float32Array(F).fill(-1e6),
    upper: new Float32Array(F).fill(1e6),
    rangeScale: new Float32Array(F).fill(1),
    rangeWeight: 1000,
    controlRules: unboundedRules(),
    ruleWeight: 1000,
    threshold: 9,
    training: { steps: 0, folds: 0, blockHours: 0, quantile: 0, eigenFloor: 0, heldOutAlarmRate: 0 },
  };
}

function fittedModel(rows: Float64Array[], smoothingHours: number): BatadalModel {
  const steps = rows.slice(1).map((row, i) => featureWindow([rows[i] as Float64Array, row], SPEC));
  return { ...identityModel(smoothingHours), ...fitDetectorParameters(steps, { decimals: 2, eigenFloor: 1e-3 }) };
}

describe("quantizeReading", () => {
  it("rounds half to even through float32, as ONNX Round does", () => {
    expect(quantizeReading(0.125, 2)).toBe(Math.fround(0.12));
    expect(quantizeReading(0.375, 2)).toBe(Math.fround(0.38));
    expect(quantizeReading(-0.125, 2)).toBe(Math.fround(-0.12));
    expect(quantizeReading(2.5, 0)).toBe(2);
    expect(quantizeReading(3.5, 0)).toBe(4);
    expect(quantizeReading(2.049002886, 2)).toBe(Math.fround(2.05));
    expect(quantizeReading(98.9984436, 2)).toBe(Math.fround(99));
  });
});

describe("featureWindow", () => {
  it("gives the rounded readings, then their change from the previous hour", () => {
    const previous = Float64Array.from({ length: S }, (_, j) => j + 0.004);
    const current = Float64Array.from({ length: S }, (_, j) => 2 * j + 0.126);
    const features = featureWindow([previous, current], SPEC);
    expect(features).toHaveLength(86);
    expect(BATADAL_FEATURE_NAMES[3]).toBe("L_T4");
    expect(BATADAL_FEATURE_NAMES[43 + 3]).toBe("DELTA_L_T4");
    expect(features[3]).toBe(Math.fround(6.13));
    expect(features[43 + 3]).toBe(Math.fround(Math.fround(6.13) - 3));
    expect(features[42]).toBe(Math.fround(84.13));
  });

  it("refuses windows of the wrong shape", () => {
    const row = new Float64Array(S);
    expect(() => featureWindow([row], SPEC)).toThrow("featureWindow takes 2 rows, got 1");
    expect(() => featureWindow([row, new Float64Array(42)], SPEC)).toThrow("hold 43 readings, got 43/42");
  });

  it("gives the same vectors computed over a whole series and from a two-row stream buffer", () => {
    const rows = series(50);
    const offline = rows.slice(1).map((row, i) => featureWindow([rows[i] as Float64Array, row], SPEC));
    const buffer: Float64Array[] = [];
    const online: Float64Array[] = [];
    for (const row of rows) {
      buffer.push(row);
      if (buffer.length > 2) buffer.shift();
      if (buffer.length === 2) online.push(featureWindow(buffer, SPEC));
    }
    expect(online).toEqual(offline);
  });

  it("shortens the window at the start of a series instead of inventing hours", () => {
    expect(trailingWindow(["a", "b", "c"], 1, 4)).toEqual(["a", "b"]);
    expect(trailingWindow(["a", "b", "c"], 2, 2)).toEqual(["b", "c"]);
  });
});

describe("scoring computation", () => {
  it("a step scores ln(1 + Mahalanobis² + λ·out-of-range²)", () => {
    const model = identityModel(1);
    const features = new Float64Array(F);
    features[0] = 3;
    features[50] = 4;
    expect(stepScore(model, features)).toBe(Math.log(26));
    model.upper[0] = 2; // 1 above the range, rangeScale 1, λ = 1000
    model.lower[50] = 4.5; // 0.5 below
    expect(stepScore(model, features)).toBe(Math.log(25 + 1000 * (1 + 0.25) + 1));
    // μ = 1000 times the control term
    expect(stepScore(model, features, 0.25)).toBe(Math.log(25 + 1000 * (1 + 0.25) + 1000 * 0.25 + 1));
  });

  it("a window of k + M rows averages its last k steps; the rows before them feed the control memory", () => {
    const model = { ...identityModel(2), memoryHours: 3, windowRows: 5 };
    model.controlRules[0] = { actuator: "S_PU2", tank: "L_T1", hiOn: 4.5, loOff: 1, levelSd: 0.5 };
    const rows = series(5).map((row) => Float64Array.from(row));
    const [pu2, t1] = [BATADAL_SENSORS.indexOf("S_PU2"), BATADAL_SENSORS.indexOf("L_T1")];
    rows.forEach((row, t) => {
      row[pu2] = 1;
      row[t1] = t === 0 ? 4.75 : 4; // on above hiOn in the first hour only
    });
    const step = (t: number) =>
      stepScore(model, featureWindow([rows[t - 1], rows[t]] as Float64Array[], SPEC), controlTerm(model, rows, t));
    expect(controlTerm(model, rows, 3)).toBe(0.25); // hour 0 is within M = 3 hours of hour 3, in the same run
    expect(controlTerm(model, rows, 4)).toBe(0);
    expect(scoreWindow(model, rows)).toBe((step(3) + step(4)) / 2);
    expect(scoreWindow(model, rows.slice(0, 2))).toBe(step(1));
    expect(() => scoreWindow(model, series(6))).toThrow("windows of 2..5 rows, got 6");
  });

  it("a window scores the mean of its k step scores", () => {
    const model = identityModel(3);
    const rows = series(4);
    const [a, b, c] = [1, 2, 3].map((t) =>
      stepScore(model, featureWindow([rows[t - 1], rows[t]] as Float64Array[], SPEC)),
    ) as [number, number, number];
    expect(scoreWindow(model, rows)).toBe((a + b + c) / 3);
    expect(scoreWindow(model, rows.slice(2))).toBe(c);
    expect(() => scoreWindow(model, rows.slice(3))).toThrow("windows of 2..4 rows, got 1");
  });

  it("batch scoring and the stream scorer give identical scores for every row", () => {
    const rows = series(400);
    const model = fittedModel(rows.slice(0, 300), 6);
    model.threshold = 5; // normal windows score about ln(1 + 86) ≈ 4.5
    const live = rows.slice(300).map((row) => Float64Array.from(row));
    const jumped = live[50] as Float64Array;
    jumped[0] = (jumped[0] as number) + 5; // a jump in L_T1 the model has never seen
    const batch = scoreRows(model, live);
    const stream = new BatadalStreamScorer(model);
    const online = live.map((row) => stream.push(row));
    expect(Float64Array.from(online, (r) => r.score)).toEqual(batch.scores);
    expect(Uint8Array.from(online, (r) => r.prediction)).toEqual(batch.predictions);
    // Steps 50 (the jump) and 51 (the drop back) stand out; a 6-step window holds one of them for rows 50–56.
    expect(Array.from(batch.predictions.slice(48, 58))).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(batch.predictions.reduce((sum, p) => sum + p, 0)).toBe(7);
    expect(batch.scores[0]).toBeNaN();
  });
});
