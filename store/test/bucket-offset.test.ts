import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { bucketCount, firstBucket } from "../src/gap-fill.ts";
import type { BucketPoint } from "../src/series-query.ts";
import type { TelemetryRow } from "../src/telemetry-rows.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";

const H = 3_600_000;
const DAY = 24 * H;
/** Beijing (UTC+8): its day starts at 16:00 UTC the day before. */
const BEIJING = -8 * H;
/** India (UTC+05:30): off the hour grid, so the hour rollup cannot answer its days. */
const INDIA = -5.5 * H;
const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
/** A reading every 7 minutes for 3 days, bad every 50th (never counted). */
const rows: TelemetryRow[] = Array.from({ length: (3 * DAY) / (7 * 60_000) }, (_, i) => ({
  site: "s1",
  gateway: "gw",
  device: "d1",
  metric: "pm10",
  ts: T0 + i * 7 * 60_000,
  value: (i % 41) + i / 1000,
  unit: "mg/m3",
  quality: i % 50 === 49 ? ("bad" as const) : ("good" as const),
  boot_id: "b",
  seq: i,
  idx: 0,
  stream_seq: i + 1,
}));

/** The buckets the readings themselves give, for buckets starting where t - offset is a multiple of step. */
function expected(from: number, to: number, step: number, offset: number): BucketPoint[] {
  const buckets = new Map<number, number[]>();
  for (const r of rows) {
    if (r.ts < from || r.ts >= to || r.quality === "bad") continue;
    const t = Math.floor((r.ts - offset) / step) * step + offset;
    buckets.set(t, [...(buckets.get(t) ?? []), r.value]);
  }
  return [...buckets].map(([ts, vs]) => ({
    ts,
    count: vs.length,
    min: Math.min(...vs),
    max: Math.max(...vs),
    sum: vs.reduce((a, v) => a + v, 0),
  }));
}

const dir = mkdtempSync(join(tmpdir(), "lifeline-bucket-offset-"));
let store: TelemetryStore;
beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
  await store.insertTelemetry(rows, "offset-seed");
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("buckets with an offset (local days)", () => {
  it.each([
    ["Beijing days from the hour rollup", BEIJING, DAY, "telemetry_1h"],
    ["India days from the minute rollup", INDIA, DAY, "telemetry_1m"],
    ["6-hour buckets at Beijing's 00:00, 06:00 …", BEIJING, 6 * H, "telemetry_1h"],
    ["days offset by 90 s, from raw readings", 90_000, DAY, "telemetry"],
  ])("%s: the readings' own buckets, exactly", async (_, offset, step, source) => {
    // A range with ragged ends: the rollup's middle and raw readings at both ends.
    const from = T0 + 5 * 60_000 + 30_000;
    const to = T0 + 3 * DAY - 11 * 60_000;
    const answer = await store.series({
      site: "s1",
      from,
      to,
      stepMs: step,
      aggs: ["count", "min", "max", "sum"],
      bucketOffsetMs: offset,
    });
    expect(answer.source).toBe(source);
    const points = (answer.series[0]?.points ?? []) as BucketPoint[];
    const want = expected(from, to, step, offset);
    expect(points.map((p) => [p.ts, p.count, p.min, p.max])).toEqual(want.map((p) => [p.ts, p.count, p.min, p.max]));
    for (const [i, p] of points.entries()) expect(p.sum).toBeCloseTo(want[i]?.sum as number, 6);
    // Every bucket starts at the zone's midnight (or on the offset grid).
    expect(points.every((p) => (p.ts - offset) % step === 0)).toBe(true);
  });

  it("ranks local days, and fills the local grid", async () => {
    const top = await store.top({
      site: "s1",
      from: T0,
      to: T0 + 3 * DAY,
      stepMs: DAY,
      agg: "count",
      n: 5,
      order: "desc",
      bucketOffsetMs: BEIJING,
    });
    const days = expected(T0, T0 + 3 * DAY, DAY, BEIJING);
    expect(top.map((e) => [e.ts, e.value])).toEqual(
      [...days].sort((a, b) => b.count - a.count || a.ts - b.ts).map((d) => [d.ts, d.count]),
    );
    // The first local day holds T0 (00:00 UTC = 08:00 in Beijing): it started at 16:00 UTC the day before.
    expect(firstBucket(T0, DAY, BEIJING)).toBe(T0 - 8 * H);
    expect(bucketCount(T0, T0 + DAY, DAY, BEIJING)).toBe(2);
    const filled = await store.series({
      site: "s1",
      from: T0 - 2 * DAY,
      to: T0 + DAY,
      stepMs: DAY,
      aggs: ["max"],
      fill: "null",
      bucketOffsetMs: BEIJING,
    });
    expect(((filled.series[0]?.points ?? []) as BucketPoint[]).map((p) => [p.ts - T0, p.count > 0])).toEqual([
      [-2 * DAY - 8 * H, false],
      [-DAY - 8 * H, false],
      [-8 * H, true],
      [DAY - 8 * H, true],
    ]);
  });
});
