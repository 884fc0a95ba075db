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
      stepMs: null,
      devices: [{ key: "s/d", pending: [[5, [1, null]]], rows: [], lastTs: null }],
    });
  });
});

describe("WindowRows with a step", () => {
  const M = 60_000;
  it("makes one row per step from each input's average, as the store's step averages give them", () => {
    const rows = new WindowRows(["p", "q"], 2, 2 * M, M);
    const out = [];
    // Every 10 s for three minutes: p = the second of the minute, q = 100 + the minute.
    for (let t = 0; t < 3 * M; t += 10_000) {
      out.push(...rows.add("s", "d", [r("p", t, (t % M) / 1_000), r("q", t, 100 + Math.floor(t / M))]));
    }
    // Minute 2 is still open; minutes 0 and 1 made a window when minute 2's first readings arrived.
    expect(out).toEqual([{ site: "s", device: "d", ts: M, values: Float32Array.from([25, 100, 25, 101]) }]);
    expect(rows.stats()).toMatchObject({ rows: 2, windows: 1, late: 0 });
  });

  it("takes nothing twice from a redelivered batch, nor a reading of a step already handed on", () => {
    const rows = new WindowRows(["p"], 1, Number.POSITIVE_INFINITY, M);
    const batch = [r("p", 0, 1), r("p", 30_000, 3)];
    expect(rows.add("s", "d", batch)).toEqual([]);
    expect(rows.add("s", "d", batch)).toEqual([]);
    const windows = rows.add("s", "d", [r("p", M, 10), r("p", 50_000, 99)]);
    expect(windows).toEqual([{ site: "s", device: "d", ts: 0, values: Float32Array.from([2]) }]);
    expect(rows.stats().late).toBe(3);
  });

  it("carries the step being filled through a snapshot, and refuses a snapshot of another step", () => {
    const rows = new WindowRows(["p"], 1, Number.POSITIVE_INFINITY, M);
    rows.add("s", "d", [r("p", 0, 4)]);
    const snapshot = JSON.parse(JSON.stringify(rows.snapshot()));
    expect(new WindowRows(["p"], 1).restore(snapshot)).toBe(false);
    expect(new WindowRows(["p"], 1, Number.POSITIVE_INFINITY, 2 * M).restore(snapshot)).toBe(false);
    const restored = new WindowRows(["p"], 1, Number.POSITIVE_INFINITY, M);
    expect(restored.restore(snapshot)).toBe(true);
    expect(restored.add("s", "d", [r("p", 20_000, 8), r("p", M, 0)])).toEqual([
      { site: "s", device: "d", ts: 0, values: Float32Array.from([6]) },
    ]);
  });
});
