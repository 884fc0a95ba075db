/**
 * L2-penalised logistic regression on standardised features, fitted by Newton's method (IRLS, with
 * step halving): P(y = 1 | f) = sigmoid(bias + Σ weights_j · (f_j − mean_j) / scale_j).
 * Every sum runs in a fixed order, so the same rows give bit-identical coefficients.
 */
export interface LogisticRegression {
  /** Per feature: the training mean and standard deviation (1 where a feature is constant). */
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
  /** Newton steps taken. */
  iterations: number;
}

export interface LogisticFitOptions {
  /** Penalty λ·|w|²/2 on the weights (not the bias); default 1. */
  l2?: number;
  maxIterations?: number;
  /** Stop once no coefficient moves more than this; default 1e-9. */
  tolerance?: number;
}

/** Fits on `rows` rows of `width` features, row-major in `x`; `y` is 0 or 1. */
export function fitLogisticRegression(
  x: Float64Array,
  y: ArrayLike<number>,
  width: number,
  options: LogisticFitOptions = {},
): LogisticRegression {
  const rows = y.length;
  if (x.length !== rows * width)
    throw new RangeError(`x holds ${x.length} values, ${rows} rows × ${width} need ${rows * width}`);
  if (rows === 0) throw new RangeError("no rows to fit");
  const { mean, scale } = standardisation(x, rows, width);
  const z = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++)
    z[i] = ((x[i] as number) - (mean[i % width] as number)) / (scale[i % width] as number);
  const l2 = options.l2 ?? 1;
  let beta = new Float64Array(width + 1); // [bias, weights…]
  let loss = penalisedLoss(z, y, beta, l2);
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 50); iterations++) {
    const step = newtonStep(z, y, beta, l2);
    let scaleOfStep = 1;
    let next = beta.map((b, j) => b - (step[j] as number));
    let nextLoss = penalisedLoss(z, y, next, l2);
    while (nextLoss > loss && scaleOfStep > 1e-6) {
      scaleOfStep /= 2;
      next = beta.map((b, j) => b - scaleOfStep * (step[j] as number));
      nextLoss = penalisedLoss(z, y, next, l2);
    }
    const moved = Math.max(...next.map((b, j) => Math.abs(b - (beta[j] as number))));
    beta = next;
    loss = nextLoss;
    if (moved < (options.tolerance ?? 1e-9)) {
      iterations++;
      break;
    }
  }
  return { mean, scale, weights: [...beta.subarray(1)], bias: beta[0] as number, iterations };
}

export const sigmoid = (t: number): number => 1 / (1 + Math.exp(-t));

/** P(y = 1) for one feature vector. */
export function logisticProbability(model: LogisticRegression, features: ArrayLike<number>): number {
  let logit = model.bias;
  for (let j = 0; j < model.weights.length; j++) {
    const standard = ((features[j] as number) - (model.mean[j] as number)) / (model.scale[j] as number);
    logit += (model.weights[j] as number) * standard;
  }
  return sigmoid(logit);
}

function standardisation(x: Float64Array, rows: number, width: number) {
  const mean = new Array<number>(width).fill(0);
  const scale = new Array<number>(width).fill(0);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (x[i * width + j] as number);
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / rows;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < width; j++)
      scale[j] = (scale[j] as number) + ((x[i * width + j] as number) - (mean[j] as number)) ** 2;
  }
  for (let j = 0; j < width; j++) scale[j] = Math.sqrt((scale[j] as number) / rows) || 1;
  return { mean, scale };
}

function logitOf(z: Float64Array, beta: Float64Array, row: number, width: number): number {
  let t = beta[0] as number;
  for (let j = 0; j < width; j++) t += (beta[j + 1] as number) * (z[row * width + j] as number);
  return t;
}

/** Negative log-likelihood plus the penalty, computed stably for large logits. */
function penalisedLoss(z: Float64Array, y: ArrayLike<number>, beta: Float64Array, l2: number): number {
  const width = beta.length - 1;
  let loss = 0;
  for (let i = 0; i < y.length; i++) {
    const t = logitOf(z, beta, i, width);
    // log(1 + e^t) − y·t, without overflow.
    loss += Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t))) - (y[i] as number) * t;
  }
  for (let j = 1; j <= width; j++) loss += (l2 / 2) * (beta[j] as number) ** 2;
  return loss;
}

/** H⁻¹·g for the penalised loss at `beta`. */
function newtonStep(z: Float64Array, y: ArrayLike<number>, beta: Float64Array, l2: number): Float64Array {
  const m = beta.length;
  const width = m - 1;
  const gradient = new Float64Array(m);
  const hessian = new Float64Array(m * m);
  const row = new Float64Array(m);
  row[0] = 1;
  for (let i = 0; i < y.length; i++) {
    for (let j = 0; j < width; j++) row[j + 1] = z[i * width + j] as number;
    const p = sigmoid(logitOf(z, beta, i, width));
    const residual = p - (y[i] as number);
    const curvature = p * (1 - p);
    for (let a = 0; a < m; a++) {
      gradient[a] = (gradient[a] as number) + residual * (row[a] as number);
      for (let b = 0; b <= a; b++)
        hessian[a * m + b] = (hessian[a * m + b] as number) + curvature * (row[a] as number) * (row[b] as number);
    }
  }
  for (let a = 1; a < m; a++) {
    gradient[a] = (gradient[a] as number) + l2 * (beta[a] as number);
    hessian[a * m + a] = (hessian[a * m + a] as number) + l2;
  }
  hessian[0] = (hessian[0] as number) + 1e-9; // the bias is not penalised; this keeps all-one labels solvable
  return choleskySolve(hessian, gradient, m);
}

/** Solves A·x = b for a symmetric positive-definite A of which the lower triangle is filled. */
function choleskySolve(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * m + k] as number) * (l[j * m + k] as number);
      l[i * m + j] = i === j ? Math.sqrt(Math.max(sum, 1e-300)) : sum / (l[j * m + j] as number);
    }
  }
  const x = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = b[i] as number;
    for (let k = 0; k < i; k++) sum -= (l[i * m + k] as number) * (x[k] as number);
    x[i] = sum / (l[i * m + i] as number);
  }
  for (let i = m - 1; i >= 0; i--) {
    let sum = x[i] as number;
    for (let k = i + 1; k < m; k++) sum -= (l[k * m + i] as number) * (x[k] as number);
    x[i] = sum / (l[i * m + i] as number);
  }
  return x;
}
