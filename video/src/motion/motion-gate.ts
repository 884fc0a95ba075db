import type { Frame } from "../frame.ts";
import { VideoError } from "../video-error.ts";

export interface MotionGateOptions {
  /** Luma grid the frame is reduced to (cell means). Default 32×24. */
  gridWidth?: number;
  gridHeight?: number;
  /** A cell has changed when its mean luma differs from the reference by more than this (0–255). Default 10. */
  cellThreshold?: number;
  /** The gate opens when at least this fraction of cells changed. Default 0.01 (8 of 768 cells). */
  minChangedFraction?: number;
  /** A frame is let through at least this often even when nothing moved. Default 10 000 ms. */
  maxSkipMs?: number;
  /**
   * Whole-scene brightness changes within [1/maxGain, maxGain] are compensated (not motion); beyond
   * that (lights switched on, camera covered, IR switch) the residual counts as change. Default 2.
   */
  maxGain?: number;
  /** Clock for the heartbeat (the camera's own `ts` may jump); stub it in tests. Default Date.now. */
  now?: () => number;
}

export type MotionReason = "motion" | "heartbeat" | "first" | "still";

export interface MotionDecision {
  readonly pass: boolean;
  /** Fraction of grid cells that changed against the reference (0 for "first"). */
  readonly changed: number;
  readonly reason: MotionReason;
  /** Brightness gain applied to the reference before comparing (1 = none). */
  readonly gain: number;
}

export interface MotionGateCounters {
  passed: number;
  skipped: number;
  motion: number;
  heartbeat: number;
  first: number;
}

/**
 * Decides per camera whether a frame is worth scoring. The reference is the last frame that was let
 * through, so slow change (haze, smoke building up) accumulates against it until it crosses the
 * threshold, and the heartbeat scores the scene anyway every `maxSkipMs`.
 *
 * Noise: each cell is the mean of its pixels (≈63 at 224×224), which divides sensor noise by ≈8
 * before the per-cell threshold. Illumination: a cloud or auto-exposure scales luma roughly by a
 * factor (exactly so under a power-law gamma), so the reference is scaled by the median of the
 * per-cell ratios; the median ignores a moving object as long as it covers under half the cells.
 */
export class MotionGate {
  readonly counters: MotionGateCounters = { passed: 0, skipped: 0, motion: 0, heartbeat: 0, first: 0 };
  private readonly gridWidth: number;
  private readonly gridHeight: number;
  private readonly cellThreshold: number;
  private readonly minChangedFraction: number;
  private readonly maxSkipMs: number;
  private readonly maxGain: number;
  private readonly now: () => number;
  private reference: Float32Array | undefined;
  private current: Float32Array;
  private readonly ratios: Float32Array;
  private referenceSize = "";
  private lastPassAt = 0;

  constructor(options: MotionGateOptions = {}) {
    this.gridWidth = options.gridWidth ?? 32;
    this.gridHeight = options.gridHeight ?? 24;
    this.cellThreshold = options.cellThreshold ?? 10;
    this.minChangedFraction = options.minChangedFraction ?? 0.01;
    this.maxSkipMs = options.maxSkipMs ?? 10_000;
    this.maxGain = options.maxGain ?? 2;
    this.now = options.now ?? Date.now;
    if (!(this.gridWidth >= 1 && this.gridHeight >= 1 && this.maxGain >= 1)) {
      throw new VideoError("VIDEO_MOTION_BAD_OPTIONS", "motion gate: grid must be ≥ 1×1 and maxGain ≥ 1", {
        detail: { gridWidth: this.gridWidth, gridHeight: this.gridHeight, maxGain: this.maxGain },
      });
    }
    this.current = new Float32Array(this.gridWidth * this.gridHeight);
    this.ratios = new Float32Array(this.gridWidth * this.gridHeight);
  }

  /** Forget the reference (e.g. the camera was re-aimed): the next frame passes as "first". */
  reset(): void {
    this.reference = undefined;
  }

  check(frame: Frame): MotionDecision {
    if (frame.width < this.gridWidth || frame.height < this.gridHeight) {
      throw new VideoError(
        "VIDEO_MOTION_FRAME_TOO_SMALL",
        `motion gate: frame ${frame.width}×${frame.height} is smaller than the ${this.gridWidth}×${this.gridHeight} grid`,
        { detail: { width: frame.width, height: frame.height } },
      );
    }
    const now = this.now();
    const size = `${frame.width}x${frame.height}`;
    lumaGrid(frame, this.gridWidth, this.gridHeight, this.current);
    if (this.reference === undefined || size !== this.referenceSize) {
      this.referenceSize = size;
      return this.let("first", 0, 1, now);
    }
    const gain = this.brightnessGain(this.reference);
    const changed = this.changedFraction(this.reference, gain);
    if (changed >= this.minChangedFraction) return this.let("motion", changed, gain, now);
    // A clock that went backwards also lets a frame through rather than starving the detector.
    const sincePass = now - this.lastPassAt;
    if (sincePass >= this.maxSkipMs || sincePass < 0) return this.let("heartbeat", changed, gain, now);
    this.counters.skipped++;
    return { pass: false, changed, reason: "still", gain };
  }

  private let(reason: "motion" | "heartbeat" | "first", changed: number, gain: number, now: number): MotionDecision {
    // The passed frame becomes the reference: swap buffers instead of copying.
    const previous = this.reference;
    this.reference = this.current;
    this.current = previous ?? new Float32Array(this.current.length);
    this.lastPassAt = now;
    this.counters.passed++;
    this.counters[reason]++;
    return { pass: true, changed, reason, gain };
  }

  private brightnessGain(reference: Float32Array): number {
    const cells = reference.length;
    for (let i = 0; i < cells; i++) {
      // +4 keeps near-black cells (where ratios are pure noise) from dominating.
      this.ratios[i] = ((this.current[i] as number) + 4) / ((reference[i] as number) + 4);
    }
    const median = quickSelect(this.ratios, cells >> 1);
    return Math.min(this.maxGain, Math.max(1 / this.maxGain, median));
  }

  private changedFraction(reference: Float32Array, gain: number): number {
    const cells = reference.length;
    let changed = 0;
    for (let i = 0; i < cells; i++) {
      const expected = ((reference[i] as number) + 4) * gain - 4;
      if (Math.abs((this.current[i] as number) - expected) > this.cellThreshold) changed++;
    }
    return changed / cells;
  }
}

/**
 * Mean luma (BT.601, integer weights) per cell. Large frames are sampled on a stride so a cell reads
 * about 64–128 pixels whatever the resolution: a 1080p frame costs about what a 224×224 one does.
 */
export function lumaGrid(frame: Frame, gridWidth: number, gridHeight: number, out: Float32Array): void {
  const { width, height, rgb } = frame;
  const step = Math.max(1, Math.floor(Math.min(width / gridWidth, height / gridHeight) / 8));
  const rowBytes = width * 3;
  const pStep = step * 3;
  for (let gy = 0; gy < gridHeight; gy++) {
    const y0 = Math.floor((gy * height) / gridHeight);
    const y1 = Math.floor(((gy + 1) * height) / gridHeight);
    for (let gx = 0; gx < gridWidth; gx++) {
      const x0 = Math.floor((gx * width) / gridWidth);
      const x1 = Math.floor(((gx + 1) * width) / gridWidth);
      // Channel sums stay small integers (SMIs in V8); weighting once per cell is ~2× faster than per pixel.
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let y = y0; y < y1; y += step) {
        const end = y * rowBytes + x1 * 3;
        for (let p = y * rowBytes + x0 * 3; p < end; p += pStep) {
          r += rgb[p] as number;
          g += rgb[p + 1] as number;
          b += rgb[p + 2] as number;
        }
        n += Math.ceil((x1 - x0) / step);
      }
      out[gy * gridWidth + gx] = (77 * r + 150 * g + 29 * b) / (n * 256);
    }
  }
}

/** k-th smallest value; reorders `values` in place (they are scratch). */
function quickSelect(values: Float32Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((values[i] as number) < pivot) i++;
      while ((values[j] as number) > pivot) j--;
      if (i <= j) {
        const t = values[i] as number;
        values[i] = values[j] as number;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k] as number;
  }
  return values[k] as number;
}
