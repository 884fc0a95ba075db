import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChdbDriver, TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi, sendableBytes } from "../src/api-server.ts";

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const NOW = T0 + 30 * 60_000;
const dir = mkdtempSync(join(tmpdir(), "lifeline-api-"));
let store: TelemetryStore;
let app: FastifyInstance;

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
  const rows = [0, 1, 2, 3, 4, 5].map((i) => ({
    site: "mine-7",
    gateway: "gw-01",
    device: "dust-01",
    metric: "pm10",
    ts: T0 + i * 20_000,
    value: i + 0.5,
    unit: "mg/m3",
    quality: "good" as const,
    boot_id: "b1",
    seq: i,
    idx: 0,
    stream_seq: i + 1,
  }));
  await store.insertTelemetry(rows, "seed");
  app = await buildApi({ store, now: () => NOW, checkAnswers: true });
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (query: string) => {
  const res = await app.inject({ method: "GET", url: `/v1/series?${query}` });
  return { status: res.statusCode, body: res.json() };
};

describe("GET /v1/series", () => {
  const series = (points: object[]) => [{ site: "mine-7", device: "dust-01", metric: "pm10", unit: "mg/m3", points }];

  it("returns raw readings in [from, to) with source timestamps", async () => {
    const { status, body } = await get(`device=dust-01&metric=pm10&from=${T0}&to=${T0 + 60_000}`);
    expect(status).toBe(200);
    expect(body).toEqual({
      from: T0,
      to: T0 + 60_000,
      step: null,
      agg: ["raw"],
      fill: "none",
      tz: "UTC",
      layout: "rows",
      source: "telemetry",
      truncated: false,
      series: series([
        { ts: T0, value: 0.5, quality: "good" },
        { ts: T0 + 20_000, value: 1.5, quality: "good" },
        { ts: T0 + 40_000, value: 2.5, quality: "good" },
      ]),
    });
  });

  it("aggregates by step from the minute rollup, with ISO 8601 times, defaulting to avg", async () => {
    const { status, body } = await get(
      "device=dust-01&metric=pm10&from=2026-01-05T08:00:00Z&to=2026-01-05T08:02:00Z&step=1m",
    );
    expect(status).toBe(200);
    expect(body.agg).toEqual(["avg"]);
    expect(body.step).toBe(60_000);
    expect(body.source).toBe("telemetry_1m");
    expect(body.series).toEqual(
      series([
        { ts: T0, avg: 1.5, count: 3 },
        { ts: T0 + 60_000, avg: 4.5, count: 3 },
      ]),
    );
  });

  it("takes several aggregates at once, and fills empty buckets", async () => {
    const { body } = await get(
      `site=mine-7&metric=pm10&from=${T0}&to=${T0 + 240_000}&step=2m&agg=max,p95,count&fill=previous`,
    );
    expect(body.source).toBe("telemetry");
    expect(body.series[0].points[0]).toMatchObject({ ts: T0, max: 5.5, count: 6 });
    expect(body.series[0].points[0].p95).toBeCloseTo(5.25, 10);
    expect(body.series[0].points[1]).toMatchObject({ ts: T0 + 120_000, max: 5.5, count: 0 });
  });

  it("answers in columns when asked: one array per field", async () => {
    const { body } = await get(
      `device=dust-01&metric=pm10&from=${T0}&to=${T0 + 120_000}&step=1m&agg=avg,max&layout=columns`,
    );
    expect(body.series).toEqual([
      {
        site: "mine-7",
        device: "dust-01",
        metric: "pm10",
        unit: "mg/m3",
        columns: { ts: [T0, T0 + 60_000], count: [3, 3], avg: [1.5, 4.5], max: [2.5, 5.5] },
      },
    ]);
  });

  it("answers on one time axis with layout=grid: a series without a bucket has count 0 and null there", async () => {
    // mine-8: dust-02 reports in minutes 0 and 2, dust-03 in minutes 1 and 2 (two readings), gas-01 in none.
    const readings = [
      ["dust-02", 0, 1.25],
      ["dust-02", 2, 7],
      ["dust-03", 1, -3.5],
      ["dust-03", 2, 10],
      ["dust-03", 2, 20],
    ] as const;
    await store.insertTelemetry(
      readings.map(([device, minute, value], i) => ({
        site: "mine-8",
        gateway: "gw-08",
        device,
        metric: "pm10",
        ts: T0 + minute * 60_000 + i * 1_000,
        value,
        unit: "mg/m3",
        quality: "good" as const,
        boot_id: "b8",
        seq: i,
        idx: 0,
        stream_seq: 500 + i,
      })),
      "grid-seed",
    );
    const { status, body } = await get(`site=mine-8&from=${T0}&to=${T0 + 240_000}&step=1m&agg=avg,max&layout=grid`);
    expect(status).toBe(200);
    const meta = { site: "mine-8", metric: "pm10", unit: "mg/m3" };
    expect(body).toEqual({
      from: T0,
      to: T0 + 240_000,
      step: 60_000,
      agg: ["avg", "max"],
      fill: "none",
      tz: "UTC",
      layout: "grid",
      source: "telemetry_1m",
      truncated: false,
      ts: [T0, T0 + 60_000, T0 + 120_000],
      series: [
        { ...meta, device: "dust-02", columns: { count: [1, 0, 1], avg: [1.25, null, 7], max: [1.25, null, 7] } },
        { ...meta, device: "dust-03", columns: { count: [0, 1, 2], avg: [null, -3.5, 15], max: [null, -3.5, 20] } },
      ],
    });
    // Cells count against the limit: 2 series × 3 times is more than 5.
    const cut = await get(`site=mine-8&from=${T0}&to=${T0 + 240_000}&step=1m&layout=grid&limit=5`);
    expect(cut).toEqual({
      status: 400,
      body: {
        error: {
          code: "API_BAD_PARAMETER",
          parameter: "layout",
          message:
            "layout: layout=grid makes 6 cells (2 series × 3 times), more than the limit of 5; use layout=columns, fewer series or a larger step",
        },
      },
    });
    // With fill the axis is the whole range, every series on it.
    const filled = await get(`site=mine-8&from=${T0}&to=${T0 + 240_000}&step=1m&fill=previous&layout=grid`);
    expect(filled.body.ts).toEqual([T0, T0 + 60_000, T0 + 120_000, T0 + 180_000]);
    expect(filled.body.series.map((s: { columns: object }) => s.columns)).toEqual([
      { count: [1, 0, 1, 0], avg: [1.25, 1.25, 7, 7] },
      { count: [0, 1, 2, 0], avg: [null, -3.5, 15, 15] },
    ]);
  });

  it("sends a large answer as bytes, whole, with its length and JSON type", async () => {
    const from = T0 - 7 * 86_400_000;
    const res = await app.inject({
      method: "GET",
      url: `/v1/series?device=dust-01&metric=pm10&from=${from}&to=${T0 + 60_000}&step=1m&fill=null`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(res.rawPayload.length).toBeGreaterThan(64 * 1024);
    expect(Number(res.headers["content-length"])).toBe(res.rawPayload.length);
    const points = res.json().series[0].points;
    expect(points).toHaveLength(7 * 1440 + 1);
    expect(points[0]).toEqual({ ts: from, avg: null, count: 0 });
    expect(points.at(-1)).toEqual({ ts: T0, avg: 1.5, count: 3 });
  });

  it("encodes large text once as UTF-8 and leaves small answers and bytes alone", () => {
    const big = `"${"µg/m³".repeat(20_000)}"`;
    const bytes = sendableBytes(big) as Buffer;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect(bytes.toString("utf8")).toBe(big);
    expect(bytes.length).toBe(Buffer.byteLength(big));
    expect(sendableBytes('{"ok":true}')).toBe('{"ok":true}');
    const buffer = Buffer.from("x");
    expect(sendableBytes(buffer)).toBe(buffer);
  });

  it("defaults to the last hour before now", async () => {
    const { body } = await get("device=dust-01&metric=pm10");
    expect([body.from, body.to]).toEqual([NOW - 3_600_000, NOW]);
    expect(body.series[0].points.length).toBe(6);
  });

  it.each([
    ["metric=pm10", "device", "device: expected a device, or a site for all its devices"],
    ["device=dust.01&metric=pm10", "device", "device: expected 1-64 characters of A-Z, a-z, 0-9, '_' or '-'"],
    [
      "device=dust-01&metric=pm10&from=yesterday",
      "from",
      "from: expected epoch milliseconds or an ISO 8601 time such as 2026-01-05T08:00:00Z",
    ],
    [`device=dust-01&metric=pm10&from=${T0}&to=${T0}`, "from", "from: expected from to be before to"],
    [
      "device=dust-01&metric=pm10&step=5x",
      "step",
      "step: expected a duration from 1ms to 366d, such as 10s, 1m, 1h, 1d",
    ],
    [
      "device=dust-01&metric=pm10&agg=median&step=1m",
      "agg",
      'agg: Invalid option: expected one of "raw"|"avg"|"min"|"max"|"sum"|"count"|"first"|"last"|"p50"|"p95"|"p99"',
    ],
    ["device=dust-01&metric=pm10&agg=max", "step", "step: agg=max needs a step, such as step=1m"],
    ["device=dust-01&metric=pm10&agg=raw,max&step=1m", "agg", "agg: agg=raw returns readings as stored and goes alone"],
    ["device=dust-01&metric=pm10&fill=linear", "fill", "fill: fill needs a step, such as step=1m"],
    [
      "device=dust-01&metric=pm10&step=1m&fill=zero",
      "fill",
      'fill: Invalid option: expected one of "none"|"null"|"previous"|"linear"',
    ],
    [
      `device=dust-01&metric=pm10&from=${T0}&to=${T0 + 86_400_000}&step=1s&fill=null&limit=1000`,
      "fill",
      "fill: fill=null makes 86400 buckets per series, more than the limit of 1000; use a larger step or a shorter range",
    ],
    ["device=dust-01&metric=pm10&limit=0", "limit", "limit: Too small: expected number to be >=1"],
    ["device=dust-01&metric=pm10&colour=red", "colour", 'colour: Unrecognized key: "colour"'],
    [
      "device=dust-01&metric=pm10&layout=grid",
      "layout",
      "layout: layout=grid needs a step, such as step=1m: raw readings share no time axis",
    ],
    [
      "device=dust-01&metric=pm10&step=1m&layout=wide",
      "layout",
      'layout: Invalid option: expected one of "rows"|"columns"|"grid"',
    ],
  ])("answers 400 naming the parameter for %s", async (query, parameter, message) => {
    const { status, body } = await get(query);
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code: "API_BAD_PARAMETER", parameter, message } });
  });

  it("answers 404 with a code for unknown routes", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/nothing" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: "API_NOT_FOUND", message: "no route GET /v1/nothing" } });
  });
});

describe("tz: buckets on a zone's days", () => {
  const range = `from=${T0 - 2 * 86_400_000}&to=${T0 + 2 * 86_400_000}`;
  const day = async (tz: string) => {
    const { status, body } = await get(`device=dust-01&metric=pm10&${range}&step=1d&agg=count${tz}`);
    expect(status).toBe(200);
    return { tz: body.tz, source: body.source, points: body.series[0].points };
  };

  it.each([
    ["", "UTC", "2026-01-05T00:00:00.000Z", "telemetry_1h"],
    ["&tz=Asia/Shanghai", "Asia/Shanghai", "2026-01-04T16:00:00.000Z", "telemetry_1h"],
    ["&tz=%2B05:30", "+05:30", "2026-01-04T18:30:00.000Z", "telemetry_1m"],
    ["&tz=-03:00", "-03:00", "2026-01-05T03:00:00.000Z", "telemetry_1h"],
  ])("the day holding 08:00 UTC with '%s' starts at its zone's midnight", async (tz, named, start, source) => {
    // The six readings are at 08:00 UTC: 16:00 in Beijing, 13:30 in India, 05:00 at -03:00.
    expect(await day(tz)).toEqual({ tz: named, source, points: [{ ts: Date.parse(start), count: 6 }] });
  });

  it("ranks and exports on the same days", async () => {
    const top = await app.inject({
      method: "GET",
      url: `/v1/top?metric=pm10&device=dust-01&${range}&step=1d&agg=count&tz=Asia/Shanghai`,
    });
    expect(top.json()).toMatchObject({
      tz: "Asia/Shanghai",
      entries: [{ device: "dust-01", ts: Date.parse("2026-01-04T16:00:00Z"), value: 6, count: 6 }],
    });
    const csv = await app.inject({
      method: "GET",
      url: `/v1/export?device=dust-01&metric=pm10&${range}&step=1d&agg=max&tz=Asia/Shanghai`,
    });
    expect(csv.body).toBe(
      'site,device,metric,ts,count,max,unit\n"mine-7","dust-01","pm10","2026-01-04 16:00:00.000",6,5.5,"mg/m3"\n',
    );
  });

  it.each([
    [
      "Mars/Olympus",
      "tz: unknown time zone Mars/Olympus; expected UTC, an offset such as +08:00, or an IANA zone such as Asia/Shanghai",
    ],
    ["%2B15:00", "tz: +15:00 is not an offset from UTC (-14:00 to +14:00)"],
    ["Asia%20Shanghai", "tz: expected UTC, an offset such as +08:00, or an IANA zone such as Asia/Shanghai"],
  ])("answers 400 for tz=%s", async (tz, message) => {
    const { status, body } = await get(`device=dust-01&metric=pm10&${range}&step=1d&tz=${tz}`);
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code: "API_BAD_PARAMETER", parameter: "tz", message } });
  });

  it("refuses a zone whose offset changes within the range, naming the change", async () => {
    // Berlin moves from +01:00 to +02:00 at 01:00 UTC on 29 March 2026; looked at once a day from `from`.
    const from = Date.UTC(2026, 2, 20);
    const { status, body } = await get(
      `device=dust-01&from=${from}&to=${from + 16 * 86_400_000}&step=1d&tz=Europe/Berlin`,
    );
    expect(status).toBe(400);
    expect(body.error).toEqual({
      code: "API_BAD_PARAMETER",
      parameter: "tz",
      message:
        "tz: Europe/Berlin changes its offset from UTC within the range (+01:00 to +02:00 by 2026-03-30T00:00:00.000Z), so its days are not all 24 hours; use a range without the change, or a fixed offset such as +01:00",
    });
    // Within one offset the zone is fine.
    expect((await get(`device=dust-01&from=${from}&to=${from + 86_400_000}&step=1d&tz=Europe/Berlin`)).status).toBe(
      200,
    );
  });
});

describe("GET /v1/ingest/gaps", () => {
  it("lists missing sequence ranges per site, gateway and boot, with the total", async () => {
    await store.insertTelemetry(
      [0, 1, 4, 5, 9].map((seq) => ({
        site: "mine-7",
        gateway: "gw-lossy",
        device: "dust-09",
        metric: "pm10",
        ts: T0 + seq * 1_000,
        value: seq,
        unit: "mg/m3",
        quality: "good" as const,
        boot_id: "b7",
        seq,
        idx: 0,
        stream_seq: 100 + seq,
      })),
      "gaps-seed",
    );
    const res = await app.inject({ method: "GET", url: "/v1/ingest/gaps?site=mine-7&gateway=gw-lossy" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      site: "mine-7",
      gateway: "gw-lossy",
      from: null,
      to: null,
      missing: 5,
      gaps: [
        { site: "mine-7", gateway: "gw-lossy", boot_id: "b7", first: 2, last: 3, missing: 2 },
        { site: "mine-7", gateway: "gw-lossy", boot_id: "b7", first: 6, last: 8, missing: 3 },
      ],
    });
    const none = await app.inject({ method: "GET", url: "/v1/ingest/gaps?gateway=gw-01" });
    expect(none.json()).toMatchObject({ missing: 0, gaps: [] });
    const elsewhere = await app.inject({ method: "GET", url: "/v1/ingest/gaps?site=mine-8&gateway=gw-lossy" });
    expect(elsewhere.json()).toMatchObject({ missing: 0, gaps: [] });
  });

  it("names the bad parameter", async () => {
    const res = await app.inject({ method: "GET", url: "/v1/ingest/gaps?gateway=gw%20x&from=1" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "API_BAD_PARAMETER", parameter: "gateway" });
    const order = await app.inject({ method: "GET", url: "/v1/ingest/gaps?from=10&to=5" });
    expect(order.json().error).toMatchObject({ parameter: "from", message: "from: expected from to be before to" });
  });
});
