import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { MIGRATIONS, migrate } from "../src/migrations.ts";
import { type BucketPoint, seriesToColumns } from "../src/series-query.ts";
import { TELEMETRY_COLUMNS, type TelemetryRow, toTabSeparated } from "../src/telemetry-rows.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);
const H = 3_600_000;
const SERIES = [
  { site: "s1", device: "d1", metric: "pm10", k: 0 },
  { site: "s1", device: "d1", metric: "tsp", k: 1 },
  { site: "s1", device: "d2", metric: "pm10", k: 2 },
  { site: "s2", device: "d3", metric: "pm10", k: 3 },
];
/** Every 10 s for 3 h; reading 500 of d2 is bad (not a measurement: no aggregate counts it). */
const N = 1080;
const reading = (k: number, i: number) => (i % 37) + k * 100 + i / 1000;
const rows: TelemetryRow[] = SERIES.flatMap((s) =>
  Array.from({ length: N }, (_, i) => ({
    site: s.site,
    gateway: "gw",
    device: s.device,
    metric: s.metric,
    ts: T0 + i * 10_000,
    value: reading(s.k, i),
    unit: "mg/m3",
    quality: s.device === "d2" && i === 500 ? ("bad" as const) : ("good" as const),
    boot_id: "b",
    seq: i,
    idx: s.k,
    stream_seq: i + 1,
  })),
);

/** The expected bucket from the readings themselves. */
function expected(device: string, metric: string, from: number, to: number, step: number): BucketPoint[] {
  const buckets = new Map<number, TelemetryRow[]>();
  for (const r of rows) {
    if (r.device !== device || r.metric !== metric || r.ts < from || r.ts >= to || r.quality === "bad") continue;
    const t = Math.floor(r.ts / step) * step;
    buckets.set(t, [...(buckets.get(t) ?? []), r]);
  }
  return [...buckets].map(([ts, rs]) => ({
    ts,
    count: rs.length,
    min: Math.min(...rs.map((r) => r.value)),
    max: Math.max(...rs.map((r) => r.value)),
    first: rs[0]?.value ?? null,
    last: rs.at(-1)?.value ?? null,
  }));
}

const maxOf = (device: string, from: number, to: number) =>
  Math.max(...rows.filter((r) => r.device === device && r.ts >= from && r.ts < to).map((r) => r.value));

const dir = mkdtempSync(join(tmpdir(), "lifeline-rollups-"));
let store: TelemetryStore;

beforeAll(async () => {
  // Half the readings are stored before the rollups exist (schema version 1): the migration to
  // version 2 rolls up what was stored, the views what comes later.
  const driver = new ChdbDriver(dir);
  await migrate(driver, MIGRATIONS.slice(0, 1));
  const half = toTabSeparated(rows.filter((r) => r.ts < T0 + 1.5 * H));
  await driver.insertTabSeparated("telemetry", TELEMETRY_COLUMNS, half, {
    insert_deduplication_token: "v1",
  });
  store = await TelemetryStore.open(driver);
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("rollups", () => {
  it("are built from readings stored before the migration and fed by the views after it", async () => {
    const later = rows.filter((r) => r.ts >= T0 + 1.5 * H);
    await store.insertTelemetry(later, "after");
    // A retried batch (same token) is dropped by raw and by every rollup.
    await store.insertTelemetry(later, "after");
    const [counts] = await store.driver.query<Record<string, string>>(
      `SELECT (SELECT count() FROM telemetry) AS raw, (SELECT sum(samples) FROM telemetry_1m) AS minutes,
        (SELECT sum(samples) FROM telemetry_1h) AS hours, (SELECT sum(samples) FROM series_index) AS indexed`,
    );
    const good = rows.length - 1;
    expect(counts).toEqual({ raw: rows.length, minutes: good, hours: good, indexed: good });
  });

  it.each([
    ["hour buckets, aligned range", T0, T0 + 3 * H, H, "telemetry_1h"],
    ["hour buckets, ragged range", T0 + 25_000, T0 + 2 * H + 35_000, H, "telemetry_1h"],
    ["2-minute buckets, ragged range", T0 + 7_000, T0 + 30 * 60_000 + 13_000, 120_000, "telemetry_1m"],
    ["30 s buckets (no rollup fits)", T0, T0 + 10 * 60_000, 30_000, "telemetry"],
  ])("answer %s exactly as the raw readings would", async (_name, from, to, step, source) => {
    const result = await store.series({
      devices: ["d1", "d2"],
      metrics: ["pm10"],
      from,
      to,
      stepMs: step,
      aggs: ["count", "min", "max", "first", "last", "avg"],
      limit: 10_000,
    });
    expect(result.source).toBe(source);
    expect(result.series.map((s) => `${s.site}/${s.device}/${s.metric}`)).toEqual(["s1/d1/pm10", "s1/d2/pm10"]);
    for (const s of result.series) {
      const want = expected(s.device, s.metric, from, to, step);
      const got = (s.points as BucketPoint[]).map(({ avg, ...rest }) => rest);
      expect(got).toEqual(want);
      // avg = sum / count: the same up to the order of summation.
      for (const [i, p] of (s.points as BucketPoint[]).entries()) {
        const w = rows.filter(
          (r) =>
            r.device === s.device &&
            r.metric === s.metric &&
            r.quality !== "bad" &&
            Math.floor(r.ts / step) * step === want[i]?.ts &&
            r.ts >= from &&
            r.ts < to,
        );
        expect(p.avg).toBeCloseTo(w.reduce((a, r) => a + r.value, 0) / w.length, 9);
      }
    }
  });

  it("reads quantiles of short steps from raw readings, of long ones from the sketch", async () => {
    const short = await store.series({
      devices: ["d1"],
      metrics: ["pm10"],
      from: T0,
      to: T0 + H,
      stepMs: 60_000,
      aggs: ["p95"],
      limit: 100,
    });
    expect(short.source).toBe("telemetry");
    const long = await store.series({
      devices: ["d1"],
      metrics: ["pm10"],
      from: T0,
      to: T0 + 3 * H,
      stepMs: H,
      aggs: ["p50", "p99"],
      limit: 100,
    });
    expect(long.source).toBe("telemetry_1h");
    const p = long.series[0]?.points[0] as BucketPoint;
    // Hour 0 of d1/pm10: values (i % 37) + i/1000 for i < 360; the digest is within 2 % here.
    const sorted = rows
      .filter((r) => r.device === "d1" && r.metric === "pm10" && r.ts < T0 + H)
      .map((r) => r.value)
      .sort((a, b) => a - b);
    expect(Math.abs((p.p50 ?? 0) - (sorted[179] ?? 0))).toBeLessThan(0.02 * 37);
    expect(Math.abs((p.p99 ?? 0) - (sorted[356] ?? 0))).toBeLessThan(0.02 * 37);
  });

  it("fills empty buckets as asked", async () => {
    // d1/tsp has readings in [0, 3 h); ask 4 hourly buckets from -1 h: one empty before, none after…
    const q = {
      devices: ["d1"],
      metrics: ["tsp"],
      from: T0 - H,
      to: T0 + 4 * H,
      stepMs: H,
      aggs: ["max"] as const,
      limit: 100,
    };
    const max = rows.filter((r) => r.metric === "tsp").reduce((m, r) => Math.max(m, r.value), 0);
    const values = async (fill: "none" | "null" | "previous" | "linear") =>
      (((await store.series({ ...q, aggs: ["max"], fill })).series[0]?.points ?? []) as BucketPoint[]).map((p) => [
        p.ts - T0,
        p.count,
        p.max,
      ]);
    expect(await values("none")).toHaveLength(3);
    expect(await values("null")).toEqual([
      [-H, 0, null],
      [0, 360, maxOf("d1", T0, T0 + H)],
      [H, 360, maxOf("d1", T0 + H, T0 + 2 * H)],
      [2 * H, 360, max],
      [3 * H, 0, null],
    ]);
    expect((await values("previous")).at(-1)).toEqual([3 * H, 0, max]);
    expect((await values("previous"))[0]).toEqual([-H, 0, null]);
    expect((await values("linear")).at(-1)).toEqual([3 * H, 0, null]);
    // Filled buckets count against the limit: the grid is cut there, and the answer says so.
    const cut = await store.series({ ...q, aggs: ["max"], fill: "null", limit: 3 });
    expect([cut.truncated, cut.series[0]?.points.map((p) => p.ts - T0)]).toEqual([true, [-H, 0, H]]);
  });

  it("gives in columns exactly the points it gives, for raw, buckets, filled and cut answers", async () => {
    const queries = [
      { from: T0, to: T0 + 3 * H, aggs: [], limit: 100_000 },
      { from: T0, to: T0 + 3 * H, aggs: [], limit: 500 },
      { from: T0 + 7_000, to: T0 + 2 * H + 5_000, stepMs: 60_000, aggs: ["avg", "min", "first", "count"] as const },
      { from: T0, to: T0 + 3 * H, stepMs: H, aggs: ["max", "p95", "last"] as const, limit: 5 },
      { devices: ["d1"], from: T0 - H, to: T0 + 4 * H, stepMs: H, aggs: ["max"] as const, fill: "linear" as const },
    ];
    for (const q of queries) {
      const points = await store.series({ ...q, aggs: [...q.aggs] });
      const columns = await store.seriesColumns({ ...q, aggs: [...q.aggs] });
      expect(columns).toEqual({ ...points, series: points.series.map(seriesToColumns) });
      expect(columns.series.length).toBeGreaterThan(0);
    }
  });

  it("ranks buckets and whole series for top-N", async () => {
    const hourly = await store.top({
      metrics: ["pm10"],
      from: T0,
      to: T0 + 3 * H,
      stepMs: H,
      agg: "max",
      n: 3,
      order: "desc",
    });
    expect(hourly.map((e) => [e.device, (e.ts ?? 0) - T0, e.value, e.count])).toEqual([
      ["d3", 2 * H, maxOf("d3", T0 + 2 * H, T0 + 3 * H), 360],
      ["d3", H, maxOf("d3", T0 + H, T0 + 2 * H), 360],
      ["d3", 0, maxOf("d3", T0, T0 + H), 360],
    ]);
    const lowest = await store.top({
      site: "s1",
      metrics: ["pm10"],
      from: T0,
      to: T0 + 3 * H,
      agg: "min",
      n: 2,
      order: "asc",
    });
    expect(lowest.map((e) => [e.device, e.ts, e.value, e.count])).toEqual([
      ["d1", null, 0, 1080],
      ["d2", null, 200, 1079],
    ]);
  });

  it("lists the catalogue with devices' entries, and searches it", async () => {
    await store.putDevice({
      site: "s1",
      device: "d1",
      kind: "dust-monitor",
      name: "North gate",
      location: "haul road",
      latitude: 39.9,
      longitude: 116.4,
    });
    await store.putDevice({
      site: "s1",
      device: "d1",
      kind: "dust-monitor",
      name: "North gate, dust",
      location: "haul road",
      latitude: 39.9,
      longitude: 116.4,
    });
    const all = await store.catalogue({ limit: 100 });
    expect(all.map((c) => `${c.site}/${c.device}/${c.metric}`)).toEqual([
      "s1/d1/pm10",
      "s1/d1/tsp",
      "s1/d2/pm10",
      "s2/d3/pm10",
    ]);
    const [d3] = all.slice(-1);
    expect(d3).toMatchObject({
      unit: "mg/m3",
      gateway: "gw",
      kind: "",
      firstTs: T0,
      lastTs: T0 + (N - 1) * 10_000,
      lastValue: reading(3, N - 1),
      samples: N,
    });
    const found = await store.catalogue({ q: "north PM10", limit: 100 });
    expect(found.map((c) => [c.device, c.metric, c.name, c.latitude])).toEqual([
      ["d1", "pm10", "North gate, dust", 39.9],
    ]);
    expect(await store.catalogue({ kind: "dust-monitor", limit: 100 })).toHaveLength(2);
  });

  it("exports CSV with a header and Parquet as one file", async () => {
    const q = { devices: ["d2"], metrics: ["pm10"], from: T0 + 4_990_000, to: T0 + 5_020_000, aggs: [] };
    let csv = "";
    for await (const chunk of store.export(q, "csv")) csv += Buffer.from(chunk).toString();
    expect(csv).toBe(
      [
        "site,device,metric,ts,value,unit,quality",
        `"s1","d2","pm10","2026-01-05 01:23:10.000",${reading(2, 499)},"mg/m3","good"`,
        `"s1","d2","pm10","2026-01-05 01:23:20.000",${reading(2, 500)},"mg/m3","bad"`,
        `"s1","d2","pm10","2026-01-05 01:23:30.000",${reading(2, 501)},"mg/m3","good"`,
        "",
      ].join("\n"),
    );
    const parts: Uint8Array[] = [];
    for await (const chunk of store.export(
      { ...q, from: T0, to: T0 + 3 * H, stepMs: H, aggs: ["avg", "max"] },
      "parquet",
    ))
      parts.push(chunk);
    const file = join(dir, "export.parquet");
    writeFileSync(file, Buffer.concat(parts));
    expect(
      await store.driver.query(`SELECT toString(ts) AS ts, count, max FROM file('${file}', Parquet) ORDER BY ts`),
    ).toEqual([
      { ts: "2026-01-05 00:00:00.000", count: 360, max: maxOf("d2", T0, T0 + H) },
      { ts: "2026-01-05 01:00:00.000", count: 359, max: maxOf("d2", T0 + H, T0 + 2 * H) },
      { ts: "2026-01-05 02:00:00.000", count: 360, max: maxOf("d2", T0 + 2 * H, T0 + 3 * H) },
    ]);
  });
  it("interpolates a gap linearly between the buckets either side", async () => {
    await store.insertTelemetry(
      [0, 3].map(
        (m) =>
          ({
            ...rows[0],
            device: "gap",
            metric: "level",
            ts: T0 + m * 60_000,
            value: m === 0 ? 10 : 40,
            seq: m,
          }) as TelemetryRow,
      ),
      "gap",
    );
    const r = await store.series({
      devices: ["gap"],
      metrics: ["level"],
      from: T0,
      to: T0 + 5 * 60_000,
      stepMs: 60_000,
      aggs: ["avg"],
      fill: "linear",
      limit: 100,
    });
    expect(((r.series[0]?.points ?? []) as BucketPoint[]).map((p) => p.avg)).toEqual([10, 20, 30, 40, null]);
  });
});

describe("retention", () => {
  it("sets each table's TTL only when it changes", async () => {
    const ttl = async () =>
      (
        await store.driver.query<{ name: string; ttl: string }>(
          `SELECT name, extract(engine_full, 'TTL (.*?) SETTINGS') AS ttl FROM system.tables
           WHERE database = currentDatabase() AND name IN ('telemetry', 'telemetry_1m', 'telemetry_1h') ORDER BY name`,
        )
      ).map((r) => `${r.name}: ${r.ttl}`);
    const { applyRetention } = await import("../src/retention.ts");
    expect(await applyRetention(store.driver, { rawDays: 90, minuteDays: 400 })).toEqual(["telemetry", "telemetry_1m"]);
    expect(await ttl()).toEqual([
      "telemetry: toDateTime(ts) + toIntervalDay(90)",
      "telemetry_1h: ",
      "telemetry_1m: bucket + toIntervalDay(400)",
    ]);
    expect(await applyRetention(store.driver, { rawDays: 90, minuteDays: 400 })).toEqual([]);
    expect(await applyRetention(store.driver, { rawDays: 90 })).toEqual(["telemetry_1m"]);
    await expect(applyRetention(store.driver, { rawDays: 0 })).rejects.toThrow(
      "retention rawDays: expected a whole number of days, got 0",
    );
  });
});
