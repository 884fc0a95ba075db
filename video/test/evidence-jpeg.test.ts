import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { encodeJpeg, rgbToRgba } from "../src/evidence/encode-jpeg.ts";
import type { Frame } from "../src/frame.ts";

function gradient(width: number, height: number): Frame {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = Math.round((x * 255) / (width - 1));
      rgb[i + 1] = Math.round((y * 255) / (height - 1));
      rgb[i + 2] = 90;
    }
  }
  return { width, height, rgb, ts: 0, seq: 0 };
}

function meanRgb(data: Uint8Array, channels: number): [number, number, number] {
  const sums = [0, 0, 0];
  const pixels = data.length / channels;
  for (let p = 0; p < data.length; p += channels) {
    for (let c = 0; c < 3; c++) sums[c] = (sums[c] as number) + (data[p + c] as number);
  }
  return [(sums[0] as number) / pixels, (sums[1] as number) / pixels, (sums[2] as number) / pixels];
}

describe("encodeJpeg", () => {
  it("widens RGB to opaque RGBA byte for byte", () => {
    expect([...rgbToRgba(Uint8Array.from([1, 2, 3, 250, 251, 252]))]).toEqual([1, 2, 3, 255, 250, 251, 252, 255]);
  });

  it("decodes back to the same size and nearly the same colours", () => {
    const frame = gradient(160, 120);
    const encoded = encodeJpeg(frame, 85);
    expect([encoded[0], encoded[1]]).toEqual([0xff, 0xd8]); // SOI marker
    const decoded = jpeg.decode(encoded, { useTArray: true, formatAsRGBA: true });
    expect([decoded.width, decoded.height]).toEqual([160, 120]);
    const want = meanRgb(frame.rgb, 3);
    const got = meanRgb(decoded.data, 4);
    for (let c = 0; c < 3; c++) expect(Math.abs((got[c] as number) - (want[c] as number))).toBeLessThan(1.5);
  });

  it("is smaller at lower quality", () => {
    const frame = gradient(160, 120);
    expect(encodeJpeg(frame, 30).length).toBeLessThan(encodeJpeg(frame, 90).length);
  });

  it("refuses a frame whose buffer does not match its size", () => {
    expect(() => encodeJpeg({ width: 4, height: 4, rgb: new Uint8Array(47), ts: 0, seq: 0 })).toThrow(
      expect.objectContaining({ code: "VIDEO_EVIDENCE_BAD_FRAME" }),
    );
  });
});
