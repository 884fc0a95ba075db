import type { Frame } from "../frame.ts";

/**
 * A camera's clean reference for the built-in model's "change against background" features: the
 * first frame, then a running average (weight `alpha`) of the frames the model scored clean, so
 * that slow changes of light and season are followed while a plume or a flood is not learnt.
 * A frame of another size (the stream changed) starts it again.
 */
export class CleanBackground {
  readonly #alpha: number;
  #sum: Float32Array | undefined;
  #frame: Frame | undefined;

  constructor(alpha = 0.1) {
    this.#alpha = alpha;
  }

  /** The reference for a frame: the learnt one, or the frame itself before anything was learnt. */
  current(frame: Frame): Frame {
    const f = this.#frame;
    if (f === undefined || f.width !== frame.width || f.height !== frame.height) {
      this.#sum = undefined;
      this.#frame = undefined;
      return frame;
    }
    return f;
  }

  learn(frame: Frame): void {
    const sum = this.#sum;
    if (sum === undefined || this.#frame?.width !== frame.width || this.#frame.height !== frame.height) {
      this.#sum = Float32Array.from(frame.rgb);
      this.#frame = { ...frame, rgb: Uint8Array.from(frame.rgb) };
      return;
    }
    const a = this.#alpha;
    const rgb = this.#frame.rgb as Uint8Array;
    for (let i = 0; i < sum.length; i++) {
      const v = (sum[i] as number) + a * ((frame.rgb[i] as number) - (sum[i] as number));
      sum[i] = v;
      rgb[i] = v + 0.5;
    }
    this.#frame = { ...this.#frame, ts: frame.ts, seq: frame.seq };
  }
}
