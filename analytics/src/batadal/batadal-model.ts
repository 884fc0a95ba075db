import { createHash } from "node:crypto";
import { BATADAL_SENSORS } from "./batadal-csv.ts";
import { BatadalError } from "./batadal-error.ts";
import { BATADAL_CONTROL_MAP, type BatadalControlRule } from "./control-rules.ts";
import { BATADAL_FEATURE_COUNT, type BatadalFeatureSpec, validateFeatureSpec } from "./feature-window.ts";

export const BATADAL_MODEL_FORMAT = "lifeline.batadal-detector/2";

/** How the model was fitted and calibrated; informative, the scoring computation does not read it. */
export interface BatadalTrainingInfo {
  /** Hourly steps (row pairs) the final parameters were fitted on. */
  steps: number;
  /** Folds whose held-out scores set the threshold. */
  folds: number;
  /** Hours per block dealt to the folds. */
  blockHours: number;
  /** The threshold is this quantile of the held-out window scores. */
  quantile: number;
  /** Eigenvalue floor of the whitening, in standardized units. */
  eigenFloor: number;
  /** Share of held-out windows above the threshold (≈ 1 − quantile): the expected false-alarm rate. */
  heldOutAlarmRate: number;
}

/**
 * Every number the scoring computation needs. F = 86 features (see `BATADAL_FEATURE_NAMES`); arrays are float32 so
 * that the ONNX initializers hold exactly these values.
 */
export interface BatadalModel {
  format: typeof BATADAL_MODEL_FORMAT;
  sensors: readonly string[];
  featureSpec: BatadalFeatureSpec;
  /** k: the window score is the mean of the last k hourly step scores. */
  smoothingHours: number;
  /** M: a control violation is remembered for this many hours while the actuator keeps its on/off state. */
  memoryHours: number;
  /** W = k + M input rows per window: the oldest of the k steps looks back M hours for control violations. */
  windowRows: number;
  /** [F] feature means. */
  center: Float32Array;
  /** [F] 1/sd of each feature, 0 for a feature constant in training (it takes no part in the Mahalanobis term). */
  scale: Float32Array;
  /** [F×F] row-major: y = z·whitening, and ‖y‖² is the Mahalanobis distance of the standardized features z. */
  whitening: Float32Array;
  /** [F] smallest and largest value of each feature in training. */
  lower: Float32Array;
  upper: Float32Array;
  /** [F] 1/max(sd, 10^-decimals): turns a distance outside [lower, upper] into standard deviations. */
  rangeScale: Float32Array;
  /** λ: weight of the squared out-of-range distances added to the Mahalanobis distance. */
  rangeWeight: number;
  /** One envelope per actuator of `BATADAL_CONTROL_MAP`, in its order. */
  controlRules: BatadalControlRule[];
  /** μ: weight of the squared control violations (in tank-level standard deviations) in the step score. */
  ruleWeight: number;
  /** A window whose score is above this is an attack. */
  threshold: number;
  training: BatadalTrainingInfo;
}

const VECTOR_FIELDS = ["center", "scale", "lower", "upper", "rangeScale"] as const;

/** Plain JSON (arrays as number lists) with a fixed key order; float32 values survive the round trip exactly. */
export function batadalModelToJson(model: BatadalModel): string {
  return JSON.stringify({
    format: model.format,
    sensors: model.sensors,
    featureSpec: { decimals: model.featureSpec.decimals },
    smoothingHours: model.smoothingHours,
    memoryHours: model.memoryHours,
    windowRows: model.windowRows,
    center: Array.from(model.center),
    scale: Array.from(model.scale),
    whitening: Array.from(model.whitening),
    lower: Array.from(model.lower),
    upper: Array.from(model.upper),
    rangeScale: Array.from(model.rangeScale),
    rangeWeight: model.rangeWeight,
    controlRules: model.controlRules.map((r) => ({
      actuator: r.actuator,
      tank: r.tank,
      hiOn: r.hiOn,
      loOff: r.loOff,
      levelSd: r.levelSd,
    })),
    ruleWeight: model.ruleWeight,
    threshold: model.threshold,
    training: model.training,
  });
}

function invalid(message: string, field: string): never {
  throw new BatadalError("ANALYTICS_BATADAL_MODEL_INVALID", `BATADAL model: ${message}`, { field });
}

function float32Field(source: Record<string, unknown>, field: string, length: number): Float32Array {
  const value = source[field];
  if (!Array.isArray(value) || value.length !== length) invalid(`${field} must be a list of ${length} numbers`, field);
  if (!value.every((x) => typeof x === "number" && Number.isFinite(x))) invalid(`${field} holds a non-number`, field);
  return Float32Array.from(value as number[]);
}

function positiveInteger(source: Record<string, unknown>, field: string): number {
  const value = source[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) invalid(`${field} must be ≥ 1`, field);
  return value;
}

function finiteNumber(source: Record<string, unknown>, field: string): number {
  const value = source[field];
  if (typeof value !== "number" || !Number.isFinite(value)) invalid(`${field} must be a finite number`, field);
  return value;
}

function nonNegative(source: Record<string, unknown>, field: string): number {
  const value = finiteNumber(source, field);
  if (value < 0) invalid(`${field} must be ≥ 0`, field);
  return value;
}

/** The envelopes must name the actuators and tanks of `BATADAL_CONTROL_MAP`, in its order, with finite bounds. */
function controlRulesField(source: Record<string, unknown>): BatadalControlRule[] {
  const value = source.controlRules;
  const count = BATADAL_CONTROL_MAP.length;
  if (!Array.isArray(value) || value.length !== count) invalid(`controlRules must list ${count} rules`, "controlRules");
  return BATADAL_CONTROL_MAP.map(({ actuator, tank }, a) => {
    const rule = value[a] as Record<string, unknown> | null;
    const field = `controlRules[${a}]`;
    if (typeof rule !== "object" || rule === null || rule.actuator !== actuator || rule.tank !== tank) {
      invalid(`${field} must be the rule of ${actuator} by ${tank}`, field);
    }
    for (const bound of ["hiOn", "loOff", "levelSd"]) {
      if (typeof rule[bound] !== "number" || !Number.isFinite(rule[bound])) {
        invalid(`${field}.${bound} must be a finite number`, `${field}.${bound}`);
      }
    }
    if (!((rule.levelSd as number) > 0)) invalid(`${field}.levelSd must be > 0`, `${field}.levelSd`);
    return {
      actuator,
      tank,
      hiOn: rule.hiOn as number,
      loOff: rule.loOff as number,
      levelSd: Math.fround(rule.levelSd as number),
    };
  });
}

/** Parses and checks a model written by `batadalModelToJson`; errors name the offending field. */
export function batadalModelFromJson(text: string): BatadalModel {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new BatadalError("ANALYTICS_BATADAL_MODEL_INVALID", `BATADAL model: not JSON (${String(cause)})`);
  }
  if (typeof parsed !== "object" || parsed === null) invalid("not a JSON object", "");
  const source = parsed as Record<string, unknown>;
  if (source.format !== BATADAL_MODEL_FORMAT) invalid(`format must be ${BATADAL_MODEL_FORMAT}`, "format");
  const sensors = source.sensors;
  if (!Array.isArray(sensors) || sensors.join(",") !== BATADAL_SENSORS.join(",")) {
    invalid("sensors must list the 43 BATADAL sensors in file order", "sensors");
  }
  const spec = source.featureSpec as BatadalFeatureSpec | undefined;
  if (typeof spec !== "object" || spec === null) invalid("featureSpec is missing", "featureSpec");
  validateFeatureSpec(spec);
  const smoothingHours = positiveInteger(source, "smoothingHours");
  const memoryHours = positiveInteger(source, "memoryHours");
  const windowRows = positiveInteger(source, "windowRows");
  if (windowRows !== smoothingHours + memoryHours)
    invalid("windowRows must be smoothingHours + memoryHours", "windowRows");
  const F = BATADAL_FEATURE_COUNT;
  const vectors = Object.fromEntries(VECTOR_FIELDS.map((field) => [field, float32Field(source, field, F)])) as Record<
    (typeof VECTOR_FIELDS)[number],
    Float32Array
  >;
  return {
    format: BATADAL_MODEL_FORMAT,
    sensors: [...BATADAL_SENSORS],
    featureSpec: { decimals: spec.decimals },
    smoothingHours,
    memoryHours,
    windowRows,
    ...vectors,
    whitening: float32Field(source, "whitening", F * F),
    rangeWeight: finiteNumber(source, "rangeWeight"),
    controlRules: controlRulesField(source),
    ruleWeight: nonNegative(source, "ruleWeight"),
    threshold: finiteNumber(source, "threshold"),
    training: (source.training ?? {}) as BatadalTrainingInfo,
  };
}

/** SHA-256 of the JSON form: equal for models that score every window the same way. */
export function batadalModelHash(model: BatadalModel): string {
  return createHash("sha256").update(batadalModelToJson(model)).digest("hex");
}
