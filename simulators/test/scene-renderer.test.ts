import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sceneClip, sceneSamples } from "../src/video/scene-clip.ts";
import { renderScene, type SceneSpec } from "../src/video/scene-renderer.ts";

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const base: SceneSpec = { view: "mine", width: 96, height: 64, seed: 7 };

describe("renderScene", () => {
  it("renders the same bytes for the same spec, other bytes for another seed or time", () => {
    const spec: SceneSpec = {
      ...base,
      t: 3,
      dust: 0.6,
      water: 0.4,
      rain: 0.5,
      clouds: 0.5,
      vehicle: true,
      noise: 0.02,
    };
    const a = renderScene(spec);
    const b = renderScene({ ...spec });
    expect(a.rgb.length).toBe(96 * 64 * 3);
    expect(sha(a.rgb)).toBe(sha(b.rgb));
    expect(a.truth).toEqual(b.truth);
    expect(sha(renderScene({ ...spec, seed: 8 }).rgb)).not.toBe(sha(a.rgb));
    expect(sha(renderScene({ ...spec, t: 4 }).rgb)).not.toBe(sha(a.rgb));
  });

  it("measures what it draws: no dust or water unless asked, more with more intensity", () => {
    for (const view of ["mine", "road"] as const) {
      const clear = renderScene({ ...base, view, mist: 1, rain: 1, light: 0.3, vehicle: true });
      expect(clear.truth).toEqual({ dustOpacity: 0, waterFraction: 0 });
      const light = renderScene({ ...base, view, dust: 0.3, water: 0.3 }).truth;
      const heavy = renderScene({ ...base, view, dust: 1, water: 1 }).truth;
      expect(heavy.dustOpacity).toBeGreaterThan(light.dustOpacity);
      expect(heavy.waterFraction).toBeGreaterThan(light.waterFraction);
      expect(heavy.waterFraction).toBeGreaterThan(0.9);
      expect(heavy.dustOpacity).toBeLessThanOrEqual(0.95);
    }
  });

  it("dims the frame at dusk and brightens it under dust", () => {
    const mean = (b: Uint8Array) => b.reduce((s, v) => s + v, 0) / b.length;
    const day = mean(renderScene({ ...base, noise: 0 }).rgb);
    expect(mean(renderScene({ ...base, noise: 0, light: 0 }).rgb)).toBeLessThan(day * 0.45);
    expect(mean(renderScene({ ...base, noise: 0, dust: 1 }).rgb)).toBeGreaterThan(day);
  });

  it("refuses sizes below 8 pixels", () => {
    expect(() => renderScene({ ...base, width: 4 })).toThrow(RangeError);
  });
});

describe("sceneClip and sceneSamples", () => {
  it("builds a dust episode from clear to dusty, with a clean background", () => {
    const clip = sceneClip({ view: "road", width: 64, height: 48, seed: 3, kind: "dust", frames: 10 });
    expect(clip.frames).toHaveLength(10);
    expect(clip.background.length).toBe(64 * 48 * 3);
    expect(clip.frames[0]?.labels).toEqual({ dust: false, water: false });
    expect(clip.frames[9]?.labels).toEqual({ dust: true, water: false });
    expect(clip.frames.map((f) => f.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("draws labelled samples, one camera each, deterministically", () => {
    const a = sceneSamples({ seed: 5, count: 6, width: 64, height: 48, kind: "water" });
    const b = sceneSamples({ seed: 5, count: 6, width: 64, height: 48, kind: "water" });
    expect(a.map((s) => sha(s.rgb))).toEqual(b.map((s) => sha(s.rgb)));
    expect(a.map((s) => s.view)).toEqual(["mine", "road", "mine", "road", "mine", "road"]);
    expect(a.every((s) => s.water && !s.dust)).toBe(true);
    const clear = sceneSamples({ seed: 5, count: 6, width: 64, height: 48, kind: "clear" });
    expect(clear.every((s) => !s.water && !s.dust)).toBe(true);
  });
});
