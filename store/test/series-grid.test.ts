import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { seriesGrid } from "../src/series-grid.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";

const meta = (device: string) => ({ site: "s", device, metric: "m", unit: "u" });

describe("seriesGrid", () => {
  it("puts every series on the union of their bucket starts, ascending", () => {
    const answer = {
      source: "telemetry_1m",
      truncated: true,
      series: [
        { ...meta("a"), columns: { ts: [300, 500], count: [2, 1], p95: [0.5, null] } },
        { ...meta("b"), columns: { ts: [100, 200, 300, 400, 500], count: [1, 1, 1, 1, 1], p95: [1, 2, 3, 4, 5] } },
        { ...meta("c"), columns: { ts: [], count: [], p95: [] } },
        { ...meta("d"), columns: { ts: [600], count: [7], p95: [-0] } },
      ],
    };
    const grid = seriesGrid(answer, 24);
    expect(grid).toEqual({
      source: "telemetry_1m",
      truncated: true,
      ts: [100, 200, 300, 400, 500, 600],
      series: [
        { ...meta("a"), columns: { count: [0, 0, 2, 0, 1, 0], p95: [null, null, 0.5, null, null, null] } },
        { ...meta("b"), columns: { count: [1, 1, 1, 1, 1, 0], p95: [1, 2, 3, 4, 5, null] } },
        { ...meta("c"), columns: { count: [0, 0, 0, 0, 0, 0], p95: [null, null, null, null, null, null] } },
        { ...meta("d"), columns: { count: [0, 0, 0, 0, 0, 7], p95: [null, null, null, null, null, -0] } },
      ],
    });
    expect(Object.is(grid.series[3]?.columns.p95?.[5], -0)).toBe(true);
    // 4 series × 6 times: one cell more than allowed is refused before any is made.
    expect(() => seriesGrid(answer, 23)).toThrow(
      expect.objectContaining({
        code: "STORE_GRID_TOO_LARGE",
        message:
          "layout=grid makes 24 cells (4 series × 6 times), more than the limit of 23; use layout=columns, fewer series or a larger step",
      }),
    );
  });

  it("is refused by the store without a step: raw readings share no time axis", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lifeline-grid-"));
    const store = await TelemetryStore.open(new ChdbDriver(dir));
    try {
      await expect(store.seriesGrid({ site: "s", from: 0, to: 1_000, aggs: [] })).rejects.toMatchObject({
        code: "STORE_QUERY_FAILED",
        message: "a grid needs buckets (a step): raw readings share no time axis",
      });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
