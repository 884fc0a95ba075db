/**
 * One decoded video frame: packed RGB24 (`width * height * 3` bytes, row-major, no padding), as
 * ffmpeg's `-pix_fmt rgb24` writes it, and as the models and the motion gate read it.
 */
export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
  /** When the frame was captured, ms since the epoch (the source's clock where it says, else arrival). */
  readonly ts: number;
  /** 0, 1, 2, … per source, restarting at 0 when the source reconnects. */
  readonly seq: number;
}

/** Bytes of one RGB24 frame of this size. */
export function frameBytes(width: number, height: number): number {
  return width * height * 3;
}
