/**
 * Synthetic camera pictures for tests and benchmarks, until a scene renderer draws real ones:
 * a flat colour, and a square moving over a horizontal gradient (so that motion and encoders have
 * something to work on).
 */

export type Rgb = readonly [number, number, number];

/** One packed RGB24 frame filled with one colour. */
export function solidFrame(width: number, height: number, [r, g, b]: Rgb): Uint8Array {
  const frame = new Uint8Array(width * height * 3);
  for (let i = 0; i < frame.length; i += 3) {
    frame[i] = r;
    frame[i + 1] = g;
    frame[i + 2] = b;
  }
  return frame;
}

/** `count` frames: a grey gradient, left to right, with a white square crossing it once. */
export function movingSquareFrames(width: number, height: number, count: number): Uint8Array[] {
  const side = Math.max(2, Math.floor(Math.min(width, height) / 4));
  const frames: Uint8Array[] = [];
  for (let n = 0; n < count; n++) {
    const frame = new Uint8Array(width * height * 3);
    const left = Math.floor(((width - side) * n) / Math.max(1, count - 1));
    const top = Math.floor((height - side) / 2);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inSquare = x >= left && x < left + side && y >= top && y < top + side;
        const v = inSquare ? 255 : Math.floor((x * 200) / width);
        frame.fill(v, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
    frames.push(frame);
  }
  return frames;
}
