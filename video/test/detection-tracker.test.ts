import { videoDetectSchema } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { DetectionTracker } from "../src/analysis/detection-tracker.ts";

const dust = videoDetectSchema.parse({
  class: "dust",
  levels: { IV: 0.5, III: 0.7, II: 0.9 },
  forFrames: 2,
  clearFrames: 3,
  hysteresis: 0.05,
});

function feed(tracker: DetectionTracker, scores: number[]) {
  return scores.flatMap((s, i) =>
    tracker.update({ dust: s }, 1_000 * (i + 1)).map((c) => [c.at / 1_000, c.previous, c.level]),
  );
}

describe("DetectionTracker", () => {
  it("fires after forFrames frames at a level, at the lowest level the run supports", () => {
    const t = new DetectionTracker([dust]);
    expect(feed(t, [0.1, 0.95, 0.2, 0.75, 0.8])).toEqual([[5, null, "III"]]);
    expect(t.levels()).toEqual({ dust: "III" });
  });

  it("a single frame (a truck's dust passing) does not fire", () => {
    const t = new DetectionTracker([dust]);
    expect(feed(t, [0.99, 0.1, 0.99, 0.1, 0.99, 0.1])).toEqual([]);
  });

  it("escalates, holds inside the hysteresis band, de-escalates and clears after clearFrames", () => {
    const t = new DetectionTracker([dust]);
    const changes = feed(t, [0.6, 0.6, 0.92, 0.91, 0.86, 0.87, 0.8, 0.8, 0.3, 0.3, 0.44, 0.3]);
    expect(changes).toEqual([
      [2, null, "IV"],
      [4, "IV", "II"],
      // 0.86 and 0.87 stay in II (0.9 − 0.05); 0.8 twice lowers it to III.
      [8, "II", "III"],
      // 0.44 is below IV's 0.5 − 0.05 (held from III): the third frame below clears it.
      [11, "III", null],
    ]);
  });

  it("keeps classes apart and treats a class the model did not score as 0", () => {
    const water = videoDetectSchema.parse({ class: "water", levels: { III: 0.6 }, forFrames: 1, clearFrames: 1 });
    const t = new DetectionTracker([dust, water]);
    expect(t.update({ water: 0.7 }, 1).map((c) => [c.class, c.rule, c.metric, c.level])).toEqual([
      ["water", "video-water", "water_score", "III"],
    ]);
    expect(t.update({ dust: 0.7 }, 2).map((c) => c.class)).toEqual(["water"]);
    expect(t.levels()).toEqual({ dust: null, water: null });
  });

  it("refuses levels that do not rise", () => {
    const r = videoDetectSchema.safeParse({ class: "dust", levels: { IV: 0.8, III: 0.7 } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["levels", "III"]);
    expect(r.error?.issues[0]?.message).toBe("level III must be above lower levels");
  });
});
