import type { Reading } from "@lifeline/contracts";
import { describe, expect, it } from "vitest";
import { WindowRows } from "../src/inference/window-rows.ts";

const r = (metric: string, ts: number, value: number): Reading => ({ metric, ts, value, unit: "", quality: "good" });

describe("WindowRows snapshot", () => {
  it("carries complete and pending rows through JSON, so the next row completes the same window", () => {
    const rows = new WindowRows(["p", "q"], 2);
    expect(rows.add("s", "d", [r("p", 1, 10), r("q", 1, 11), r("p", 2, 20)])).toEqual([]);
    const restored = new WindowRows(["p", "q"], 2);
    expect(restored.restore(JSON.parse(JSON.stringify(rows.snapshot())))).toBe(true);
    // Row 2 was pending with p only; q completes it and with row 1 the window.
    expect(restored.add("s", "d", [r("q", 2, 21)])).toEqual([
      { site: "s", device: "d", ts: 2, values: Float32Array.from([10, 11, 20, 21]) },
    ]);
    // A replay of row 1 is still recognised as old.
    expect(restored.add("s", "d", [r("p", 1, 10), r("q", 1, 11)])).toEqual([]);
    expect(restored.stats().stale).toBe(2);
  });

  it("refuses the rows of other inputs or another window length, keeping its own", () => {
    const rows = new WindowRows(["p", "q"], 2);
    rows.add("s", "d", [r("p", 1, 10), r("q", 1, 11)]);
    const snapshot = rows.snapshot();
    const other = new WindowRows(["q", "p"], 2);
    expect(other.restore(snapshot)).toBe(false);
    expect(new WindowRows(["p", "q"], 3).restore(snapshot)).toBe(false);
    expect(other.snapshot().devices).toEqual([]);
  });

  it("writes a device with no complete row yet with a null last time", () => {
    const rows = new WindowRows(["p", "q"], 2);
    rows.add("s", "d", [r("p", 5, 1)]);
    expect(rows.snapshot()).toEqual({
      inputs: ["p", "q"],
      window: 2,
      devices: [{ key: "s/d", pending: [[5, [1, null]]], rows: [], lastTs: null }],
    });
  });
});
