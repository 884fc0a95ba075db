import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChdbDriver, TelemetryStore } from "@lifeline/store";
import { tableFromIPC } from "apache-arrow";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../src/api-server.ts";

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const dir = mkdtempSync(join(tmpdir(), "lifeline-arrow-"));
let store: TelemetryStore;
let app: FastifyInstance;

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(join(dir, "clickhouse")));
  // dust-01: a reading every 20 s for 2 minutes; dust-02: one reading, in the third minute, flagged.
  const reading = (device: string, i: number, ts: number, value: number, quality: "good" | "uncertain") => ({
    site: "mine-7",
    gateway: "gw-01",
    device,
    metric: "pm10",
    ts,
    value,
    unit: "mg/m³",
    quality,
    boot_id: "b1",
    seq: i,
    idx: 0,
    stream_seq: i + 1,
  });
  await store.insertTelemetry(
    [
      ...[0, 1, 2, 3, 4, 5].map((i) => reading("dust-01", i, T0 + i * 20_000, i + 0.5, "good")),
      reading("dust-02", 6, T0 + 150_000, 9.25, "uncertain"),
    ],
    "seed",
  );
  app = await buildApi({ store, now: () => T0 + 3_600_000, checkAnswers: true });
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const arrow = async (query: string) => {
  const res = await app.inject({ method: "GET", url: `/v1/series?${query}&format=arrow` });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toBe("application/vnd.apache.arrow.stream");
  return { bytes: res.rawPayload, table: tableFromIPC(res.rawPayload) };
};

describe("GET /v1/series?format=arrow", () => {
  it("answers buckets as one row per point, series after series, nulls where filled, the envelope in the metadata", async () => {
    const { table } = await arrow(
      `site=mine-7&metric=pm10&from=${T0}&to=${T0 + 180_000}&step=1m&agg=avg,max&fill=null`,
    );
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}:${f.nullable}`)).toEqual([
      "site:Dictionary<Int32, Utf8>:false",
      "device:Dictionary<Int32, Utf8>:false",
      "metric:Dictionary<Int32, Utf8>:false",
      "unit:Dictionary<Int32, Utf8>:false",
      "ts:Timestamp<MILLISECOND, UTC>:false",
      "count:Int64:false",
      "avg:Float64:true",
      "max:Float64:true",
    ]);
    expect(Object.fromEntries(table.schema.metadata)).toEqual({
      from: String(T0),
      to: String(T0 + 180_000),
      step: "60000",
      agg: '["avg","max"]',
      fill: "null",
      tz: "UTC",
      source: "telemetry_1m",
      truncated: "false",
    });
    expect(table.toArray().map((r) => r.toJSON())).toEqual([
      { site: "mine-7", device: "dust-01", metric: "pm10", unit: "mg/m³", ts: T0, count: 3n, avg: 1.5, max: 2.5 },
      {
        site: "mine-7",
        device: "dust-01",
        metric: "pm10",
        unit: "mg/m³",
        ts: T0 + 60_000,
        count: 3n,
        avg: 4.5,
        max: 5.5,
      },
      {
        site: "mine-7",
        device: "dust-01",
        metric: "pm10",
        unit: "mg/m³",
        ts: T0 + 120_000,
        count: 0n,
        avg: null,
        max: null,
      },
      { site: "mine-7", device: "dust-02", metric: "pm10", unit: "mg/m³", ts: T0, count: 0n, avg: null, max: null },
      {
        site: "mine-7",
        device: "dust-02",
        metric: "pm10",
        unit: "mg/m³",
        ts: T0 + 60_000,
        count: 0n,
        avg: null,
        max: null,
      },
      {
        site: "mine-7",
        device: "dust-02",
        metric: "pm10",
        unit: "mg/m³",
        ts: T0 + 120_000,
        count: 1n,
        avg: 9.25,
        max: 9.25,
      },
    ]);
  });

  it("is read by another Arrow implementation (ClickHouse's) with the same values", async () => {
    const { bytes } = await arrow(`site=mine-7&metric=pm10&from=${T0}&to=${T0 + 180_000}&step=1m&agg=avg&fill=null`);
    const file = join(dir, "answer.arrows");
    writeFileSync(file, bytes);
    const rows = await store.driver.query<Record<string, unknown>>(
      `SELECT device, toUnixTimestamp64Milli(ts) AS t, count, avg FROM file({file:String}, 'ArrowStream')`,
      { file },
    );
    expect(rows).toEqual([
      { device: "dust-01", t: T0, count: 3, avg: 1.5 },
      { device: "dust-01", t: T0 + 60_000, count: 3, avg: 4.5 },
      { device: "dust-01", t: T0 + 120_000, count: 0, avg: null },
      { device: "dust-02", t: T0, count: 0, avg: null },
      { device: "dust-02", t: T0 + 60_000, count: 0, avg: null },
      { device: "dust-02", t: T0 + 120_000, count: 1, avg: 9.25 },
    ]);
  });

  it("answers raw readings with their value and quality", async () => {
    const { table } = await arrow(`site=mine-7&metric=pm10&from=${T0 + 100_000}&to=${T0 + 200_000}`);
    expect(table.schema.fields.map((f) => f.name)).toEqual([
      "site",
      "device",
      "metric",
      "unit",
      "ts",
      "value",
      "quality",
    ]);
    expect(table.schema.metadata.get("agg")).toBe('["raw"]');
    expect(table.schema.metadata.get("source")).toBe("telemetry");
    expect(table.toArray().map((r) => [r.device, r.ts, r.value, r.quality])).toEqual([
      ["dust-01", T0 + 100_000, 5.5, "good"],
      ["dust-02", T0 + 150_000, 9.25, "uncertain"],
    ]);
  });

  it("says in the metadata that an answer was cut at the limit", async () => {
    const { table } = await arrow(`site=mine-7&metric=pm10&from=${T0}&to=${T0 + 180_000}&limit=4`);
    expect(table.numRows).toBe(4);
    expect(table.schema.metadata.get("truncated")).toBe("true");
    expect(table.toArray().map((r) => [r.device, r.ts])).toEqual([
      ["dust-01", T0],
      ["dust-01", T0 + 20_000],
      ["dust-01", T0 + 40_000],
      ["dust-01", T0 + 60_000],
    ]);
  });

  it("answers no series as a table of no rows with the same columns", async () => {
    const { table } = await arrow(`device=dust-77&metric=pm10&from=${T0}&to=${T0 + 60_000}&step=1m&agg=p95`);
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["site", "device", "metric", "unit", "ts", "count", "p95"]);
  });

  it("says that layout does not apply", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/series?device=dust-01&format=arrow&layout=columns" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: "API_BAD_PARAMETER",
        parameter: "layout",
        message: "layout: layout shapes JSON answers; an Arrow answer is always one column per field",
      },
    });
  });
});
