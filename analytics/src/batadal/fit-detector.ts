import { columnMoments, scaledCovariance } from "../linalg/column-moments.ts";
import { symmetricEigen } from "../linalg/symmetric-eigen.ts";
import type { BatadalModel } from "./batadal-model.ts";
import { BATADAL_FEATURE_COUNT } from "./feature-window.ts";

export type DetectorParameters = Pick<
  BatadalModel,
  "center" | "scale" | "whitening" | "lower" | "upper" | "rangeScale"
>;

export interface DetectorFitOptions {
  /** Readings' decimals: one unit in the last decimal is the smallest spread the range term divides by. */
  decimals: number;
  /**
   * Eigenvalues of the correlation matrix below this are raised to it before whitening, so that a direction in
   * which training never moved does not turn one rounding step into an alarm.
   */
  eigenFloor: number;
}

/** A feature is constant when its spread is below this share of its magnitude (float noise of the mean). */
const CONSTANT_SPREAD = 1e-9;

/**
 * Fits the data-dependent parameters of the scoring computation to step feature vectors of normal operation:
 * standardization, the whitening of the standardized correlation (so ‖z·W‖² is the Mahalanobis distance) and the
 * range of every feature.
 */
export function fitDetectorParameters(
  features: readonly Float64Array[],
  options: DetectorFitOptions,
): DetectorParameters {
  const F = BATADAL_FEATURE_COUNT;
  const moments = columnMoments(features, F);
  const scale = new Float64Array(F);
  const rangeScale = new Float32Array(F);
  const resolution = 10 ** -options.decimals;
  for (let j = 0; j < F; j++) {
    const sd = moments.sd[j] as number;
    const constant = sd <= CONSTANT_SPREAD * (1 + Math.abs(moments.mean[j] as number));
    scale[j] = constant ? 0 : 1 / sd;
    rangeScale[j] = 1 / Math.max(constant ? 0 : sd, resolution);
  }
  const correlation = scaledCovariance(features, moments.mean, scale);
  const { values, vectors } = symmetricEigen(correlation, F);
  const whitening = new Float32Array(F * F);
  for (let c = 0; c < F; c++) {
    const inverseRoot = 1 / Math.sqrt(Math.max(values[c] as number, options.eigenFloor));
    for (let j = 0; j < F; j++) whitening[j * F + c] = (vectors[j * F + c] as number) * inverseRoot;
  }
  return {
    center: Float32Array.from(moments.mean),
    scale: Float32Array.from(scale),
    whitening,
    lower: Float32Array.from(moments.min),
    upper: Float32Array.from(moments.max),
    rangeScale,
  };
}
