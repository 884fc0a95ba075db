import { describe, expect, it } from "vitest";
import { EdgeRules } from "../src/edge-rules.ts";

const r = (ts: number, value: number) => ({ metric: "level", ts, value, unit: "m", quality: "good" as const });

describe("EdgeRules", () => {
  it("applies deadband, min-interval and range per device and metric", () => {
    const rules = new EdgeRules([
      { device: "radar-01", metric: "level", kind: "deadband", absolute: 0.05 },
      { device: "radar-01", metric: "level", kind: "range", min: 0, max: 4.5 },
      { device: "rain-01", metric: "level", kind: "min-interval", ms: 60_000 },
    ]);
    expect(rules.apply("radar-01", [r(0, 1.0), r(1, 1.02), r(2, 1.06), r(3, 1.07), r(4, 9.9), r(5, 9.91)])).toEqual([
      r(0, 1.0),
      r(2, 1.06),
      { ...r(4, 9.9), quality: "bad" },
    ]);
    expect(rules.apply("rain-01", [r(0, 1), r(30_000, 2), r(60_000, 3)])).toEqual([r(0, 1), r(60_000, 3)]);
    expect(rules.apply("other", [r(0, 1), r(1, 1)])).toEqual([r(0, 1), r(1, 1)]);
    expect(rules.dropped).toBe(4);
  });
});
