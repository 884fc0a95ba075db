import jpeg from "jpeg-js";
import type { Frame } from "../frame.ts";
import { VideoError } from "../video-error.ts";

/**
 * JPEG of an RGB24 frame. jpeg-js is pure JS and slow: ~55 ms at 224×224 and ~65 ms at 640×480 on
 * the dev box, most of it rebuilding its Huffman tables on every call (its encoder object is not
 * exported), so encode the frames that raise alerts, not every frame. jpeg-js reads RGBA only.
 */
export function encodeJpeg(frame: Frame, quality = 80): Buffer {
  const { width, height, rgb } = frame;
  if (rgb.length !== width * height * 3) {
    throw new VideoError(
      "VIDEO_EVIDENCE_BAD_FRAME",
      `encodeJpeg: frame ${width}×${height} needs ${width * height * 3} RGB bytes, got ${rgb.length}`,
      { detail: { width, height, bytes: rgb.length } },
    );
  }
  return jpeg.encode({ width, height, data: rgbToRgba(rgb) }, quality).data;
}

/** Packed RGB24 → RGBA with opaque alpha: one 32-bit store per pixel (assumes a little-endian host, as all Node targets are). */
export function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const pixels = rgb.length / 3;
  const rgba = new Uint8Array(pixels * 4);
  const words = new Uint32Array(rgba.buffer);
  for (let i = 0, p = 0; i < pixels; i++, p += 3) {
    words[i] = 0xff000000 | ((rgb[p + 2] as number) << 16) | ((rgb[p + 1] as number) << 8) | (rgb[p] as number);
  }
  return rgba;
}
