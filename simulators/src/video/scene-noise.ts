import type { Random } from "../random.ts";

/**
 * Smooth value noise on a periodic lattice: `cellsX × cellsY` random values in 0..1, read with
 * bilinear interpolation between smoothstepped cell coordinates. Periodic so that a field drifting
 * with time (a dust plume in the wind) never runs off its lattice.
 */
export class NoiseField {
  readonly cellsX: number;
  readonly cellsY: number;
  readonly #lattice: Float32Array;

  constructor(random: Random, cellsX: number, cellsY: number) {
    this.cellsX = cellsX;
    this.cellsY = cellsY;
    this.#lattice = Float32Array.from({ length: cellsX * cellsY }, () => random());
  }

  /** The field at (u, v) in lattice cells; any real coordinates (they wrap). */
  at(u: number, v: number): number {
    const fu = Math.floor(u);
    const fv = Math.floor(v);
    const x0 = mod(fu, this.cellsX);
    const y0 = mod(fv, this.cellsY);
    const x1 = x0 + 1 === this.cellsX ? 0 : x0 + 1;
    const y1 = y0 + 1 === this.cellsY ? 0 : y0 + 1;
    const a = smooth(u - fu);
    const b = smooth(v - fv);
    const l = this.#lattice;
    const row0 = (l[y0 * this.cellsX + x0] as number) * (1 - a) + (l[y0 * this.cellsX + x1] as number) * a;
    const row1 = (l[y1 * this.cellsX + x0] as number) * (1 - a) + (l[y1 * this.cellsX + x1] as number) * a;
    return row0 * (1 - b) + row1 * b;
  }
}

/** Two octaves of `NoiseField`s, the second at twice the frequency and half the weight; 0..1. */
export function fractal(coarse: NoiseField, fine: NoiseField, u: number, v: number): number {
  return (2 * coarse.at(u, v) + fine.at(2 * u, 2 * v)) / 3;
}

/** A zero-mean, unit-variance approximately normal draw (Irwin–Hall with three uniforms). */
export function normalish(random: Random): number {
  return (random() + random() + random() - 1.5) * 2;
}

function smooth(x: number): number {
  return x * x * (3 - 2 * x);
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}
