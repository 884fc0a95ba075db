import { seededRandom } from "@lifeline/simulators";
import { describe, expect, it } from "vitest";
import type { Frame } from "../src/frame.ts";
import { MotionGate } from "../src/motion/motion-gate.ts";

const W = 224;
const H = 224;

interface SceneOptions {
  /** Top-left of a 40×40 dark-red box, if any. */
  box?: { x: number; y: number };
  /** Multiplies every channel (a cloud: 0.8). */
  gain?: number;
  /** Gaussian sensor noise, standard deviation in levels. */
  noiseSigma?: number;
  seed?: number;
}

/** A textured outdoor-ish scene: gradients plus blocky texture, so cells differ from each other. */
function scene(seq: number, options: SceneOptions = {}): Frame {
  const rgb = new Uint8Array(W * H * 3);
  const random = seededRandom(options.seed ?? seq + 1);
  const gain = options.gain ?? 1;
  const sigma = options.noiseSigma ?? 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const texture = ((x >> 3) * 37 + (y >> 3) * 91) % 64;
      let r = 60 + x / 4 + texture;
      let g = 80 + y / 4 + texture;
      let b = 100 + texture / 2;
      const box = options.box;
      if (box && x >= box.x && x < box.x + 40 && y >= box.y && y < box.y + 40) [r, g, b] = [200, 30, 30];
      const i = (y * W + x) * 3;
      for (const [c, v] of [r, g, b].entries()) {
        // Box–Muller
        const n = sigma === 0 ? 0 : sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
        rgb[i + c] = Math.max(0, Math.min(255, Math.round(v * gain + n)));
      }
    }
  }
  return { width: W, height: H, rgb, ts: 1_700_000_000_000 + seq * 100, seq };
}

function clock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe("MotionGate", () => {
  it("passes the first frame, then skips an identical one", () => {
    const c = clock();
    const gate = new MotionGate({ now: c.now });
    expect(gate.check(scene(0))).toEqual({ pass: true, changed: 0, reason: "first", gain: 1 });
    c.advance(100);
    expect(gate.check(scene(1))).toEqual({ pass: false, changed: 0, reason: "still", gain: 1 });
    expect(gate.counters).toEqual({ passed: 1, skipped: 1, motion: 0, heartbeat: 0, first: 1 });
  });

  it("does not open on sensor noise (σ = 8 levels per pixel)", () => {
    const c = clock();
    const gate = new MotionGate({ now: c.now });
    gate.check(scene(0, { noiseSigma: 8 }));
    for (let seq = 1; seq <= 20; seq++) {
      c.advance(100);
      const d = gate.check(scene(seq, { noiseSigma: 8 }));
      expect(d.pass).toBe(false);
      expect(d.changed).toBe(0);
    }
    expect(gate.counters).toEqual({ passed: 1, skipped: 20, motion: 0, heartbeat: 0, first: 1 });
  });

  it("passes a moving object, on a noisy sensor too, and takes the passed frame as the new reference", () => {
    const c = clock();
    const gate = new MotionGate({ now: c.now });
    gate.check(scene(0, { noiseSigma: 8 }));
    c.advance(100);
    const moved = gate.check(scene(1, { noiseSigma: 8, box: { x: 100, y: 100 } }));
    expect(moved.reason).toBe("motion");
    expect(moved.pass).toBe(true);
    // 40×40 px over 7×9.3 px cells touches 6–7 columns × 5–6 rows of the 768 cells.
    expect(moved.changed).toBeGreaterThanOrEqual(25 / 768);
    expect(moved.changed).toBeLessThanOrEqual(42 / 768);
    c.advance(100);
    // Box stays where it is: nothing changed against the new reference.
    expect(gate.check(scene(2, { noiseSigma: 8, box: { x: 100, y: 100 } })).reason).toBe("still");
    c.advance(100);
    expect(gate.check(scene(3, { noiseSigma: 8, box: { x: 130, y: 100 } })).reason).toBe("motion");
    expect(gate.counters).toEqual({ passed: 3, skipped: 1, motion: 2, heartbeat: 0, first: 1 });
  });

  it("lets a frame through every maxSkipMs without motion (heartbeat)", () => {
    const c = clock(5_000);
    const gate = new MotionGate({ now: c.now, maxSkipMs: 2_000 });
    const reasons: string[] = [];
    for (let seq = 0; seq < 50; seq++) {
      reasons.push(gate.check(scene(0)).reason);
      c.advance(100);
    }
    // Frames at 0, 2000, 4000 ms pass; the 47 others are skipped.
    expect(reasons.filter((r) => r !== "still")).toEqual(["first", "heartbeat", "heartbeat"]);
    expect(reasons.indexOf("heartbeat", 1)).toBe(20);
    expect(reasons.lastIndexOf("heartbeat")).toBe(40);
    expect(gate.counters).toEqual({ passed: 3, skipped: 47, motion: 0, heartbeat: 2, first: 1 });
  });

  it("compensates a whole-scene dimming (cloud) but not a lights-off", () => {
    const c = clock();
    const gate = new MotionGate({ now: c.now });
    gate.check(scene(0, { noiseSigma: 4 }));
    c.advance(100);
    const cloud = gate.check(scene(1, { noiseSigma: 4, gain: 0.7 }));
    expect(cloud.reason).toBe("still");
    expect(cloud.gain).toBeGreaterThan(0.68);
    expect(cloud.gain).toBeLessThan(0.72);
    c.advance(100);
    // An object arriving under the cloud still opens the gate.
    const underCloud = gate.check(scene(2, { noiseSigma: 4, gain: 0.7, box: { x: 20, y: 150 } }));
    expect(underCloud.reason).toBe("motion");
    c.advance(100);
    // Dropping from 0.7 to 0.2 of the light (÷3.5) is beyond maxGain = 2: treated as change, scored.
    const dark = gate.check(scene(3, { noiseSigma: 4, gain: 0.2, box: { x: 20, y: 150 } }));
    expect(dark.reason).toBe("motion");
    expect(dark.gain).toBe(0.5);
    expect(dark.changed).toBeGreaterThan(0.5);
  });

  it("starts over when the frame size changes", () => {
    const gate = new MotionGate({ now: () => 0 });
    gate.check(scene(0));
    const small: Frame = { width: 64, height: 48, rgb: new Uint8Array(64 * 48 * 3), ts: 0, seq: 0 };
    expect(gate.check(small).reason).toBe("first");
    expect(() => gate.check({ width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3), ts: 0, seq: 1 })).toThrow(
      expect.objectContaining({ code: "VIDEO_MOTION_FRAME_TOO_SMALL" }),
    );
  });
});
