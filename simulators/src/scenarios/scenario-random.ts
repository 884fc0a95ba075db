import { type Random, seededRandom } from "../random.ts";

/**
 * An independent stream per part of a scenario (weather, each device's noise, its episodes…), so that
 * adding a device or an episode kind does not shift the draws of the others.
 */
export function scenarioStream(seed: number, salt: number): Random {
  return seededRandom((seed ^ Math.imul(salt + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0);
}

/** A standard normal draw (Box–Muller; two uniforms per draw, so a stream's position is easy to follow). */
export function gaussian(random: Random): number {
  const u = 1 - random(); // in (0, 1]: the logarithm stays finite
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function uniform(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

/**
 * A stationary first-order autoregressive process sampled every `stepMs`: correlation time `tauMs`,
 * standard deviation `sd`. It starts from its stationary distribution, so the first day looks like any other.
 */
export class Ar1 {
  readonly #phi: number;
  readonly #innovation: number;
  #value: number;

  constructor(tauMs: number, stepMs: number, sd: number, random: Random) {
    this.#phi = Math.exp(-stepMs / tauMs);
    this.#innovation = sd * Math.sqrt(1 - this.#phi * this.#phi);
    this.#value = sd * gaussian(random);
  }

  /** The value at the next step. */
  next(random: Random): number {
    this.#value = this.#phi * this.#value + this.#innovation * gaussian(random);
    return this.#value;
  }
}

export const roundTo = (x: number, decimals: number): number => Math.round(x * 10 ** decimals) / 10 ** decimals;
