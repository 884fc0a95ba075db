import { AnalyticsError } from "../onnx/analytics-error.ts";

/** A packed RGB24 picture: `width * height * 3` bytes, row-major (video's `Frame` fits). */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly rgb: Uint8Array;
}

/**
 * Writes `image` resized to `width × height` as planar float32 0..1 (one [3, H, W] slice of an
 * NCHW tensor) into `out` at `offset`. Each output pixel averages the source pixels whose centres
 * fall in its box (an area filter: downscaling a 1280×720 frame must not alias rain or texture);
 * a box with no centre in it (upscaling) takes the nearest pixel.
 */
export function writeChw(image: RgbImage, width: number, height: number, out: Float32Array, offset = 0): void {
  checkImage(image);
  const plane = width * height;
  if (offset + 3 * plane > out.length) {
    throw new RangeError(`writeChw: ${3 * plane} values at ${offset} do not fit in ${out.length}`);
  }
  const { rgb } = image;
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.min(image.height - 1, Math.ceil(y * sy - 0.5));
    const y1 = Math.max(y0 + 1, Math.min(image.height, Math.ceil((y + 1) * sy - 0.5)));
    for (let x = 0; x < width; x++) {
      const x0 = Math.min(image.width - 1, Math.ceil(x * sx - 0.5));
      const x1 = Math.max(x0 + 1, Math.min(image.width, Math.ceil((x + 1) * sx - 0.5)));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let v = y0; v < y1; v++) {
        for (let u = x0; u < x1; u++) {
          const i = (v * image.width + u) * 3;
          r += rgb[i] as number;
          g += rgb[i + 1] as number;
          b += rgb[i + 2] as number;
        }
      }
      const k = 1 / (255 * (y1 - y0) * (x1 - x0));
      const o = offset + y * width + x;
      out[o] = r * k;
      out[o + plane] = g * k;
      out[o + 2 * plane] = b * k;
    }
  }
}

/** `images` resized into one [N, 3, height, width] float32 tensor. */
export function chwBatch(images: readonly RgbImage[], width: number, height: number): Float32Array {
  const out = new Float32Array(images.length * 3 * width * height);
  images.forEach((image, n) => {
    writeChw(image, width, height, out, n * 3 * width * height);
  });
  return out;
}

export function checkImage(image: RgbImage): void {
  if (image.width < 1 || image.height < 1 || image.rgb.length !== image.width * image.height * 3) {
    throw new AnalyticsError(
      "ANALYTICS_MODEL_INPUT_MISMATCH",
      `image ${image.width}×${image.height} needs ${image.width * image.height * 3} RGB24 bytes, has ${image.rgb.length}`,
      { width: image.width, height: image.height, bytes: image.rgb.length },
    );
  }
}
