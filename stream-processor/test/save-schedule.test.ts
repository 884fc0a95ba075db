import { describe, expect, it } from "vitest";
import { SaveSchedule } from "../src/save-schedule.ts";

describe("SaveSchedule", () => {
  it("saves at once, then every everyMs while saves are cheap", () => {
    const s = new SaveSchedule(2_000);
    expect(s.due(0)).toBe(true);
    s.saved(0, 5);
    expect(s.due(1_999)).toBe(false);
    expect(s.due(2_000)).toBe(true);
  });

  it("waits 50 times a save's cost (2 %) when that is longer", () => {
    const s = new SaveSchedule(2_000);
    s.saved(10_000, 10_120); // a 120 ms save: the next one no sooner than 6 s later
    expect(s.due(15_999)).toBe(false);
    expect(s.due(16_000)).toBe(true);
    s.saved(16_000, 16_010); // cheap again: back to every 2 s
    expect(s.due(17_999)).toBe(false);
    expect(s.due(18_000)).toBe(true);
  });

  it("takes another budget", () => {
    const s = new SaveSchedule(0, 0.1);
    s.saved(0, 100);
    expect(s.due(999)).toBe(false);
    expect(s.due(1_000)).toBe(true);
  });
});
