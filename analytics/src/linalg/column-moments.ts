/** Per-column statistics of a sample held as rows of equal length. */
export interface ColumnMoments {
  count: number;
  mean: Float64Array;
  /** Population standard deviation (divides by n): the detector describes this sample, it does not estimate. */
  sd: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

/** Two passes (mean, then squared deviations): readings near 100 with spreads near 0.01 lose digits in one pass. */
export function columnMoments(rows: readonly Float64Array[], width: number): ColumnMoments {
  const count = rows.length;
  if (count === 0) throw new RangeError("columnMoments needs at least one row");
  const mean = new Float64Array(width);
  const min = new Float64Array(width).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(width).fill(Number.NEGATIVE_INFINITY);
  for (const row of rows) {
    for (let j = 0; j < width; j++) {
      const x = row[j] as number;
      mean[j] = (mean[j] as number) + x;
      if (x < (min[j] as number)) min[j] = x;
      if (x > (max[j] as number)) max[j] = x;
    }
  }
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / count;
  const sd = new Float64Array(width);
  for (const row of rows) {
    for (let j = 0; j < width; j++) sd[j] = (sd[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
  }
  for (let j = 0; j < width; j++) sd[j] = Math.sqrt((sd[j] as number) / count);
  return { count, mean, sd, min, max };
}

/**
 * Covariance (divided by n) of the rows after the affine map z_j = (x_j − center_j)·scale_j, as a row-major
 * width×width matrix. A column with scale 0 contributes a zero row and column.
 */
export function scaledCovariance(
  rows: readonly Float64Array[],
  center: Float64Array,
  scale: Float64Array,
): Float64Array {
  const width = center.length;
  const cov = new Float64Array(width * width);
  const z = new Float64Array(width);
  for (const row of rows) {
    for (let j = 0; j < width; j++) z[j] = ((row[j] as number) - (center[j] as number)) * (scale[j] as number);
    for (let i = 0; i < width; i++) {
      const zi = z[i] as number;
      if (zi === 0) continue;
      const base = i * width;
      // Upper triangle only; mirrored below.
      for (let j = i; j < width; j++) cov[base + j] = (cov[base + j] as number) + zi * (z[j] as number);
    }
  }
  const n = rows.length;
  for (let i = 0; i < width; i++) {
    for (let j = i; j < width; j++) {
      const value = (cov[i * width + j] as number) / n;
      cov[i * width + j] = value;
      cov[j * width + i] = value;
    }
  }
  return cov;
}
