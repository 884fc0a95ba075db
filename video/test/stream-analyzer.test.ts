import { join } from "node:path";
import { type AlertCondition, type Reading, SNAPSHOT_BUCKET, videoAnalysisSchema } from "@lifeline/contracts";
import { renderScene } from "@lifeline/simulators";
import { Objm } from "@nats-io/obj";
import jpeg from "jpeg-js";
import { describe, expect, it } from "vitest";
import { StreamAnalyzer } from "../src/analysis/stream-analyzer.ts";
import { VideoRuntime } from "../src/analysis/video-runtime.ts";
import type { Frame } from "../src/frame.ts";
import { natsFixture } from "./nats-fixture.ts";

const nats = natsFixture("stream-analyzer-");

const W = 128;
const H = 96;
const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);

/** A mine camera for 24 s at 1 fps: clear, then a dust plume from 6 s to 15 s, then clear again. */
function episode(): Frame[] {
  return Array.from({ length: 24 }, (_, i) => {
    const dust = i >= 6 && i < 15 ? 0.8 : 0;
    const scene = renderScene({ view: "mine", width: W, height: H, seed: 4242, t: i, dust, noise: 0.01 });
    return { width: W, height: H, rgb: scene.rgb, ts: T0 + i * 1_000, seq: i };
  });
}

describe("StreamAnalyzer with the bundled dust/water model", () => {
  it("raises one dust alert with a snapshot while the plume lasts, clears it after, scores as readings", async () => {
    const runtime = await VideoRuntime.open({
      dataDir: join(nats.dir, "agent"),
      connectNats: () => nats.connect(),
    });
    const readings: Reading[] = [];
    const analysis = videoAnalysisSchema.parse({
      // Every frame scored: the motion gate is tested on its own.
      motionGate: { enabled: false },
      detect: [
        { class: "dust", levels: { IV: 0.5, III: 0.8 }, forFrames: 2, clearFrames: 3 },
        { class: "water", levels: { III: 0.6 }, forFrames: 2, clearFrames: 3 },
      ],
    });
    const { scheduler, model } = await runtime.model(analysis.model);
    const analyzer = new StreamAnalyzer({
      site: "mine-a",
      device: "cam-pit",
      analysis,
      scheduler,
      outbox: runtime.outbox,
      readings: { readings: (_d, r) => readings.push(...r) },
      model: model.name,
    });
    for (const frame of episode()) await analyzer.frame(frame);
    await analyzer.settled();
    await runtime.outbox.drained();

    const dust = readings.filter((r) => r.metric === "dust_score");
    expect(dust.length).toBe(24);
    expect(dust.map((r) => r.ts)).toEqual(episode().map((f) => f.ts));
    const plume = dust.slice(6, 15).map((r) => r.value);
    const clean = [...dust.slice(0, 6), ...dust.slice(15)].map((r) => r.value);
    expect(Math.min(...plume)).toBeGreaterThan(0.8);
    expect(Math.max(...clean)).toBeLessThan(0.2);
    expect(readings.filter((r) => r.metric === "water_score").every((r) => r.value < 0.2)).toBe(true);

    const got = await nats.conditions("cam-pit");
    // Fired at the second plume frame (t = 7 s), cleared at the third clean frame after it (t = 17 s).
    expect(got.map((c) => [c.rule, c.kind, c.level, c.at - T0])).toEqual([
      ["video-dust", "video", "III", 7_000],
      ["video-dust", "video", null, 17_000],
    ]);
    const fired = got[0] as AlertCondition;
    expect(fired.summary).toMatch(/^dust seen by cam-pit \(score [01]\.\d\d, level III\)$/);
    expect(fired.evidence.model).toBe(model.name);
    expect(fired.evidence.snapshot).toMatch(/^snapshots\/mine-a\/cam-pit\/\d+-[0-9a-f]{12}\.jpg$/);
    const name = String(fired.evidence.snapshot).slice("snapshots/".length);
    const blob = await (await new Objm(nats.nc).open(SNAPSHOT_BUCKET)).getBlob(name);
    const picture = jpeg.decode(blob as Uint8Array);
    expect([picture.width, picture.height]).toEqual([W, H]);
    expect(got[1]?.evidence.snapshot).toBeUndefined();
    expect(analyzer.stats()).toMatchObject({ frames: 24, analysed: 24, skipped: 0, conditions: 2, failures: 0 });
    await runtime.close();
  });
});
