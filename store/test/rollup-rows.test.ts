import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import type { ClickHouseDriver } from "../src/clickhouse-driver.ts";
import { rollupRowsSql } from "../src/rollup-rows.ts";
import type { BucketPoint, SeriesQuery } from "../src/series-query.ts";
import type { TelemetryRow } from "../src/telemetry-rows.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";

const T0 = Date.UTC(2026, 2, 2, 6, 0, 0);
const M = 60_000;
const H = 3_600_000;
const DEVICES = ["d1", "d2", "d3"];
const MINUTES = 20;

/** A reading every 10 s of each device; the value makes min and max fall in different seconds per minute. */
function reading(device: string, k: number, i: number, unit: string): TelemetryRow {
  return {
    site: "flood-3",
    gateway: "gw",
    device,
    metric: "level",
    ts: T0 + i * 10_000,
    value: ((i * 7_919 + k * 104_729) % 1_000) / 8 + k,
    unit,
    quality: "good",
    boot_id: "b",
    seq: i,
    idx: 0,
    stream_seq: i + 1,
  };
}

/** Three inserts, each with some seconds of every minute: each minute bucket is three rollup rows until merged. */
const inserts = [
  [0, 1],
  [2, 3],
  [4, 5],
].map((seconds) =>
  DEVICES.flatMap((device, k) =>
    Array.from({ length: MINUTES * 6 }, (_, i) => i)
      .filter((i) => seconds.includes(i % 6))
      // d3 changes its unit from minute 10: a series has its latest bucket's.
      .map((i) => reading(device, k, i, device === "d3" && i >= 60 ? "cm" : "m")),
  ),
);
const all = inserts.flat();

/** Buckets computed from the readings themselves, in (device, time) order. */
function expected(from: number, to: number, step: number) {
  const out: { device: string; ts: number; count: number; sum: number; min: number; max: number }[] = [];
  for (const device of DEVICES) {
    for (let t = from; t < to; t += step) {
      const vs = all.filter((r) => r.device === device && r.ts >= t && r.ts < t + step).map((r) => r.value);
      if (vs.length === 0) continue;
      const sum = vs.reduce((a, v) => a + v, 0);
      out.push({ device, ts: t, count: vs.length, sum, min: Math.min(...vs), max: Math.max(...vs) });
    }
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "lifeline-rollup-rows-"));
let store: TelemetryStore;
/** Every query the store sent, in order. */
const sent: string[] = [];

beforeAll(async () => {
  const chdb = new ChdbDriver(dir);
  const record: ClickHouseDriver["queryBytes"] = (sql, params, format) => {
    sent.push(sql);
    return chdb.queryBytes(sql, params, format);
  };
  // The real driver, with the SQL of each answer read as bytes written down on the way.
  const driver = new Proxy(chdb, {
    get: (target, key) => {
      if (key === "queryBytes") return record;
      const value: unknown = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  store = await TelemetryStore.open(driver);
  // Merges would make the rows of a bucket one before the store reads them; stopped, they stay apart.
  await store.driver.exec("SYSTEM STOP MERGES telemetry_1m");
  await store.driver.exec("SYSTEM STOP MERGES telemetry_1h");
  for (const [n, rows] of inserts.entries()) await store.insertTelemetry(rows, `rows-${n}`);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const query = (q: Partial<SeriesQuery>): SeriesQuery => ({
  site: "flood-3",
  metrics: ["level"],
  from: T0,
  to: T0 + MINUTES * M,
  stepMs: M,
  aggs: ["avg", "sum", "min", "max", "count"],
  limit: 10_000,
  ...q,
});

/** The points of an answer as [device, ts, count, sum, min, max, avg] rows. */
async function answer(q: SeriesQuery) {
  sent.length = 0;
  const r = await store.series(q);
  const points = r.series.flatMap((s) =>
    (s.points as BucketPoint[]).map((p) => ({ device: s.device, unit: s.unit, ...p })),
  );
  return { ...r, points, sql: [...sent] };
}

describe("buckets read as the rollup's rows", () => {
  it("merges the rows of a bucket kept in parts not merged yet, exactly as GROUP BY does", async () => {
    const [rows] = await store.driver.query<{ rows: string }>(
      "SELECT count() AS rows FROM telemetry_1m WHERE site = 'flood-3'",
    );
    expect(Number(rows?.rows)).toBe(3 * DEVICES.length * MINUTES);

    const direct = await answer(query({}));
    expect(direct.source).toBe("telemetry_1m");
    expect(direct.truncated).toBe(false);
    expect(direct.sql).toHaveLength(1);
    expect(direct.sql[0]).not.toMatch(/GROUP BY/);
    const want = expected(T0, T0 + MINUTES * M, M);
    expect(direct.points).toHaveLength(DEVICES.length * MINUTES);
    expect(direct.points.map(({ device, ts, count, min, max }) => ({ device, ts, count, min, max }))).toEqual(
      want.map(({ device, ts, count, min, max }) => ({ device, ts, count, min, max })),
    );
    for (const [i, p] of direct.points.entries()) {
      const w = want[i] as (typeof want)[number];
      expect(p.sum).toBeCloseTo(w.sum, 9);
      expect(p.avg).toBeCloseTo(w.sum / w.count, 9);
    }
    // The series' unit is its latest bucket's.
    expect(direct.series.map((s) => [s.device, s.unit])).toEqual([
      ["d1", "m"],
      ["d2", "m"],
      ["d3", "cm"],
    ]);

    // `last` is a state, merged only by ClickHouse: the same buckets through GROUP BY.
    const grouped = await answer(query({ aggs: ["avg", "sum", "min", "max", "count", "last"] }));
    expect(grouped.sql[0]).toMatch(/GROUP BY/);
    expect(grouped.series.map((s) => s.unit)).toEqual(direct.series.map((s) => s.unit));
    expect(grouped.points.map(({ device, ts, count, min, max }) => ({ device, ts, count, min, max }))).toEqual(
      direct.points.map(({ device, ts, count, min, max }) => ({ device, ts, count, min, max })),
    );
  });

  it("cuts at the limit as the ordered GROUP BY does, and asks ClickHouse when the rows read cannot tell", async () => {
    // 60 buckets are 180 rows: the 61 rows read at limit 60 are 21 buckets, and whether more follow
    // is unknown, so GROUP BY answers — in full, not cut.
    const full = await answer(query({ limit: 60 }));
    expect([full.truncated, full.points.length, full.sql.length]).toEqual([false, 60, 2]);
    expect(full.sql[1]).toMatch(/GROUP BY/);
    // 11 rows at limit 10 are 4 buckets: GROUP BY again, cut at the first 10 buckets in key order.
    const cut = await answer(query({ limit: 10 }));
    expect(cut.truncated).toBe(true);
    expect(cut.points.map((p) => [p.device, (p.ts - T0) / M, p.count])).toEqual(
      Array.from({ length: 10 }, (_, i) => ["d1", i, 6]),
    );
  });

  it("cuts at the limit from the rows alone once they are merged", async () => {
    await store.driver.exec("SYSTEM START MERGES telemetry_1m");
    await store.driver.exec("OPTIMIZE TABLE telemetry_1m FINAL");
    const [rows] = await store.driver.query<{ rows: string }>(
      "SELECT count() AS rows FROM telemetry_1m WHERE site = 'flood-3'",
    );
    expect(Number(rows?.rows)).toBe(DEVICES.length * MINUTES);
    const cut = await answer(query({ limit: 25 }));
    expect([cut.truncated, cut.sql.length]).toEqual([true, 1]);
    expect(cut.points.map((p) => [p.device, (p.ts - T0) / M])).toEqual([
      ...Array.from({ length: 20 }, (_, i) => ["d1", i]),
      ...Array.from({ length: 5 }, (_, i) => ["d2", i]),
    ]);
    const whole = await answer(query({ limit: 60 }));
    expect([whole.truncated, whole.points.length, whole.sql.length]).toEqual([false, 60, 1]);
  });

  it("reads hour buckets from the hour rollup the same way", async () => {
    const hour = await answer(query({ from: T0, to: T0 + H, stepMs: H, aggs: ["max", "count"] }));
    expect(hour.source).toBe("telemetry_1h");
    expect(hour.sql[0]).not.toMatch(/GROUP BY/);
    expect(hour.points.map(({ device, ts, count, max }) => ({ device, ts, count, max }))).toEqual(
      expected(T0, T0 + H, H).map(({ device, ts, count, max }) => ({ device, ts, count, max })),
    );
  });

  it.each<[string, Partial<SeriesQuery>]>([
    ["a quantile", { aggs: ["p95"] }],
    ["first", { aggs: ["first", "max"] }],
    ["a step of two buckets", { stepMs: 2 * M }],
    ["a range off the minute grid", { from: T0 + 5_000 }],
    ["raw readings", { stepMs: undefined }],
  ])("leaves %s to GROUP BY", (_name, q) => {
    expect(rollupRowsSql(query(q))).toBeUndefined();
  });
});
