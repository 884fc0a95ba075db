import { renderScene } from "@lifeline/simulators";
import { describe, expect, it } from "vitest";
import { encodeModel } from "../src/onnx/onnx-model-encoder.ts";
import { OnnxScorer } from "../src/onnx/onnx-scorer.ts";
import { VISION_FEATURE_COUNT, visionFeatureNames, visionFeatures } from "../src/vision/vision-features.ts";
import { visionGraph } from "../src/vision/vision-graph.ts";
import { chwBatch, writeChw } from "../src/vision/vision-tensor.ts";

const W = 64;
const H = 64;

describe("vision image statistics", () => {
  it("computes the same features in onnxruntime as in TypeScript, within 1e-4", async () => {
    const specs = [
      { view: "mine" as const, seed: 1 },
      { view: "road" as const, seed: 2, dust: 0.8, t: 4 },
      { view: "mine" as const, seed: 3, water: 0.7, vehicle: true },
      { view: "road" as const, seed: 4, rain: 1, mist: 1, light: 0.3, clouds: 1 },
    ];
    const frames = specs.map((s) => renderScene({ width: W, height: H, noise: 0.02, ...s }));
    const backgrounds = specs.map((s) => renderScene({ view: s.view, seed: s.seed, width: W, height: H }));
    const f = chwBatch(frames, W, H);
    const b = chwBatch(backgrounds, W, H);
    const scorer = await OnnxScorer.load(encodeModel(visionGraph(W, H)));
    const dims = [4, 3, H, W];
    const out = await scorer.run({ frames: { data: f, dims }, background: { data: b, dims } });
    await scorer.release();
    expect(out.features?.dims).toEqual([4, VISION_FEATURE_COUNT]);
    let worst = 0;
    for (let n = 0; n < 4; n++) {
      const ref = visionFeatures(f, b, W, H, n * 3 * W * H);
      ref.forEach((v, k) => {
        worst = Math.max(worst, Math.abs(v - (out.features?.data[n * VISION_FEATURE_COUNT + k] as number)));
      });
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it("names 104 features: 6 statistics of frame and background and the change, over 8 regions", () => {
    const names = visionFeatureNames();
    expect(names).toHaveLength(104);
    expect(names.slice(0, 2)).toEqual(["frame.brightness.r0c0", "frame.brightness.r0c1"]);
    expect(names[48]).toBe("background.brightness.r0c0");
    expect(names[103]).toBe("change.r3c1");
  });

  it("finds no change, full contrast of a checkerboard, and a flat frame's dark channel", () => {
    const flat = new Float32Array(3 * W * H).fill(0.5);
    const f = visionFeatures(flat, flat, W, H);
    expect([...f.slice(96)]).toEqual(new Array(8).fill(0));
    expect(f[0]).toBeCloseTo(0.5, 12); // brightness
    expect(f[8]).toBeCloseTo(Math.sqrt(1e-4), 12); // contrast of a flat region is sqrt(ε)
    expect(f[16]).toBeCloseTo(0.5, 12); // dark channel
    expect(f[32]).toBeCloseTo(0, 12); // no edges
  });

  it("resizes by area: a 2× downscale averages 2×2 blocks", () => {
    const rgb = new Uint8Array(4 * 2 * 3);
    [0, 255, 255, 255, 0, 0, 0, 0].forEach((v, i) => {
      rgb[i * 3] = v;
    });
    const out = new Float32Array(3 * 2);
    writeChw({ width: 4, height: 2, rgb }, 2, 1, out);
    expect([...out]).toEqual([0.25, 0.5, 0, 0, 0, 0]);
  });
});
