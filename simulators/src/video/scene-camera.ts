import jpeg from "jpeg-js";

/**
 * What a real camera path does to a picture before the model sees it: the scene is captured at a
 * higher resolution, compressed lossily (H.264 at the camera; approximated here by JPEG at the same
 * kind of quality: 8×8 block transforms, quantised), decoded, and area-downscaled to the model's
 * input. Texture and edges — what tells haze from a clear view — come out softer than in a frame
 * rendered at the model's size, so a model trained without this mistakes every decoded frame for haze.
 */
export function throughCamera(
  rgb: Uint8Array,
  width: number,
  height: number,
  scale: number,
  quality: number,
): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgba[j] = rgb[i] as number;
    rgba[j + 1] = rgb[i + 1] as number;
    rgba[j + 2] = rgb[i + 2] as number;
    rgba[j + 3] = 255;
  }
  const encoded = jpeg.encode({ data: rgba, width, height }, quality);
  const decoded = jpeg.decode(encoded.data, { useTArray: true, formatAsRGBA: true });
  return downscale(decoded.data, width, height, scale);
}

/** Area downscale of RGBA by an integer factor, to packed RGB. */
function downscale(rgba: Uint8Array, width: number, height: number, scale: number): Uint8Array {
  const w = Math.floor(width / scale);
  const h = Math.floor(height / scale);
  const out = new Uint8Array(w * h * 3);
  const n = scale * scale;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < scale; dy++) {
        let p = ((y * scale + dy) * width + x * scale) * 4;
        for (let dx = 0; dx < scale; dx++, p += 4) {
          r += rgba[p] as number;
          g += rgba[p + 1] as number;
          b += rgba[p + 2] as number;
        }
      }
      const o = (y * w + x) * 3;
      out[o] = Math.round(r / n);
      out[o + 1] = Math.round(g / n);
      out[o + 2] = Math.round(b / n);
    }
  }
  return out;
}
