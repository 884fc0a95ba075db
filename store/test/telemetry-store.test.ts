import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { MIGRATIONS, migrate } from "../src/migrations.ts";
import { decodeNative, isDictionaryColumn } from "../src/native-format.ts";
import { seriesSql } from "../src/series-sql.ts";
import type { TelemetryRow } from "../src/telemetry-rows.ts";
import { identityOf, TelemetryStore } from "../src/telemetry-store.ts";

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const dir = mkdtempSync(join(tmpdir(), "lifeline-store-"));
let store: TelemetryStore;

const row = (i: number, value: number, metric = "pm10"): TelemetryRow => ({
  site: "mine-7",
  gateway: "gw-01",
  device: "dust-01",
  metric,
  ts: T0 + i * 15_000,
  value,
  unit: "mg/m3",
  quality: "good",
  boot_id: "b1",
  seq: i,
  idx: 0,
  stream_seq: i + 1,
});

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("TelemetryStore", () => {
  it("applies each migration once", async () => {
    expect(await migrate(store.driver)).toEqual([]);
    const rows = await store.driver.query<{ version: number }>(
      "SELECT version FROM schema_migrations ORDER BY version",
    );
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it("merges the raw table in wider steps than the default, and only the raw table (migration 5)", async () => {
    const tables = await store.driver.query<{ name: string; base: string }>(
      `SELECT name, extract(engine_full, 'merge_selector_base = ([0-9]+)') AS base FROM system.tables
       WHERE database = currentDatabase() AND engine LIKE '%MergeTree' AND base != '' ORDER BY name`,
    );
    expect(tables).toEqual([{ name: "telemetry", base: "20" }]);
  });

  it("finds a resent backlog stored before by identity — 60,000 readings in one lookup, a tenth of them missing", async () => {
    // A 2-minute outage's backlog comes back flagged as resent and is looked up whole. As an
    // Array(String) parameter, 30,000 such identities (1.3 MB) took chdb 9.6 s and 60,000 over a
    // minute — the processor stalled; as text, 1–2 s.
    const backlog = Array.from({ length: 60_000 }, (_, i) => ({
      ...row(i, i % 97),
      site: "backlog-1",
      gateway: "gw-backlog-01",
      boot_id: "8a043629bae606e6", // as edge agents make them: 16 hex digits
      device: `m-${i % 50}`,
      ts: T0 + Math.floor(i / 50) * 1_000,
      seq: Math.floor(i / 10),
      idx: i % 10,
    }));
    const stored = backlog.filter((_, i) => i % 10 !== 3);
    await store.insertTelemetry(stored, "backlog-1");
    const found = await store.storedIdentities(backlog);
    expect(found.size).toBe(54_000);
    expect(backlog.filter((r) => !found.has(identityOf(r))).map((r) => r.idx)).toEqual(Array(6_000).fill(3));
  }, 30_000);

  it("drops a batch inserted again with the same token, keeps one with a new token", async () => {
    const batch = [row(0, 0.1), row(1, 0.2), row(2, 0.3)];
    expect(await store.insertTelemetry(batch, "tlm:1-3")).toBe(3);
    await store.insertTelemetry(batch, "tlm:1-3");
    const count = async () =>
      (
        await store.driver.query<{ n: number }>("SELECT toUInt32(count()) AS n FROM telemetry WHERE device = 'dust-01'")
      )[0]?.n;
    expect(await count()).toBe(3);
    await store.insertTelemetry([row(3, 0.4)], "tlm:4-4");
    expect(await count()).toBe(4);
  });

  const one = { devices: ["dust-01"], metrics: ["pm10"] };

  it("returns raw readings with their source timestamps, in order", async () => {
    const result = await store.series({ ...one, from: T0, to: T0 + 60_000, aggs: [], limit: 10 });
    expect(result).toEqual({
      source: "telemetry",
      truncated: false,
      series: [
        {
          site: "mine-7",
          device: "dust-01",
          metric: "pm10",
          unit: "mg/m3",
          points: [
            { ts: T0, value: 0.1, quality: "good" },
            { ts: T0 + 15_000, value: 0.2, quality: "good" },
            { ts: T0 + 30_000, value: 0.3, quality: "good" },
            { ts: T0 + 45_000, value: 0.4, quality: "good" },
          ],
        },
      ],
    });
  });

  it("gives a series the unit of its latest reading, raw and in buckets, when a device's unit changed", async () => {
    const meter = (i: number, unit: string): TelemetryRow => ({
      ...row(i, i),
      device: "flow-re",
      metric: "flow",
      unit,
      stream_seq: 1000 + i,
    });
    // Re-commissioned between the 2nd and 3rd reading: litres per second, then cubic metres per hour.
    await store.insertTelemetry([meter(0, "l/s"), meter(1, "l/s"), meter(2, "m3/h"), meter(3, "m3/h")], "unit-change");
    const q = { devices: ["flow-re"], metrics: ["flow"], from: T0, to: T0 + 60_000, limit: 10 };
    const raw = await store.series({ ...q, aggs: [] });
    const minute = await store.seriesColumns({ ...q, stepMs: 60_000, aggs: ["max"] });
    const hour = await store.seriesColumns({ ...q, to: T0 + 3_600_000, stepMs: 3_600_000, aggs: ["max"] });
    expect([raw, minute, hour].map((r) => [r.source, r.series[0]?.unit])).toEqual([
      ["telemetry", "m3/h"],
      ["telemetry_1m", "m3/h"],
      ["telemetry_1h", "m3/h"],
    ]);
  });

  it("reads the strings of series answers as dictionaries, not as a string per row", async () => {
    // anyLast of a LowCardinality column is a plain String: decoding a site's day of minutes as
    // 72,000 unit strings took 16 ms instead of 2.
    const q = { ...one, from: T0, to: T0 + 3_600_000, limit: 10 };
    for (const [shape, sql] of [
      ["raw", seriesSql({ ...q, aggs: [] }, { ordered: false })],
      ["minutes", seriesSql({ ...q, stepMs: 60_000, aggs: ["avg"] }, { ordered: false })],
      ["hours", seriesSql({ ...q, stepMs: 3_600_000, aggs: ["last"] }, { ordered: false })],
    ] as const) {
      const columns = decodeNative(await store.driver.queryBytes(sql.sql, sql.params, "Native"));
      const strings = ["site", "device", "metric", "unit", ...(shape === "raw" ? ["quality"] : [])];
      expect(
        strings.map((name) => `${name}: ${isDictionaryColumn(columns.get(name) ?? []) ? "dictionary" : "per row"}`),
        shape,
      ).toEqual(strings.map((name) => `${name}: dictionary`));
    }
  });

  it("says when the answer was cut at the limit", async () => {
    const result = await store.series({ ...one, from: T0, to: T0 + 60_000, aggs: [], limit: 2 });
    expect(result.series[0]?.points.map((p) => p.ts)).toEqual([T0, T0 + 15_000]);
    expect(result.truncated).toBe(true);
  });

  it.each([
    ["avg", [0.15000000000000002, 0.35]],
    ["min", [0.1, 0.3]],
    ["max", [0.2, 0.4]],
    ["sum", [0.30000000000000004, 0.7]],
    ["first", [0.1, 0.3]],
    ["last", [0.2, 0.4]],
  ] as const)("aggregates 30 s buckets with %s", async (agg, values) => {
    const result = await store.series({ ...one, from: T0, to: T0 + 60_000, stepMs: 30_000, aggs: [agg], limit: 10 });
    expect(result.source).toBe("telemetry");
    expect(result.series[0]?.points).toEqual([
      { ts: T0, [agg]: values[0], count: 2 },
      { ts: T0 + 30_000, [agg]: values[1], count: 2 },
    ]);
  });

  it("counts readings per bucket with count", async () => {
    const result = await store.series({
      ...one,
      from: T0,
      to: T0 + 60_000,
      stepMs: 30_000,
      aggs: ["count"],
      limit: 10,
    });
    expect(result.series[0]?.points).toEqual([
      { ts: T0, count: 2 },
      { ts: T0 + 30_000, count: 2 },
    ]);
  });

  it("treats from as inclusive and to as exclusive", async () => {
    const result = await store.series({ ...one, from: T0 + 15_000, to: T0 + 45_000, aggs: [], limit: 10 });
    expect(result.series[0]?.points.map((p) => p.ts)).toEqual([T0 + 15_000, T0 + 30_000]);
  });
});
