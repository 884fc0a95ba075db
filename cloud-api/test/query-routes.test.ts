import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChdbDriver, type TelemetryRow, TelemetryStore } from "@lifeline/store";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../src/api-server.ts";
import { ROUTE_DOCS } from "../src/route-docs.ts";

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
const H = 3_600_000;
const dir = mkdtempSync(join(tmpdir(), "lifeline-query-api-"));
let store: TelemetryStore;
let app: FastifyInstance;

/** Three dust monitors at two sites, a PM10 reading a minute for 3 hours; d-2 peaks in hour 1. */
const value = (d: number, i: number) => (d === 2 && i >= 60 && i < 120 ? 500 + i : d * 10 + (i % 7));
const rows: TelemetryRow[] = [1, 2, 3].flatMap((d) =>
  Array.from({ length: 180 }, (_, i) => ({
    site: d === 3 ? "mine-9" : "mine-7",
    gateway: "gw-01",
    device: `d-${d}`,
    metric: "pm10",
    ts: T0 + i * 60_000,
    value: value(d, i),
    unit: "ug/m3",
    quality: "good" as const,
    boot_id: "b",
    seq: i,
    idx: 0,
    stream_seq: d * 1000 + i,
  })),
);

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
  await store.insertTelemetry(rows, "seed");
  app = await buildApi({ store, now: () => T0 + 3 * H, checkAnswers: true });
});
afterAll(async () => {
  await app.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (url: string) => {
  const res = await app.inject({ method: "GET", url });
  return { status: res.statusCode, body: res.json() };
};

describe("query API", () => {
  it("ranks the highest hourly averages across sites", async () => {
    const hourAvg = (h: number) => [...Array(60)].reduce((a, _, i) => a + value(3, h * 60 + i), 0) / 60;
    const best = [0, 1, 2].map((hour) => ({ hour, avg: hourAvg(hour) })).sort((a, b) => b.avg - a.avg)[0] ?? {
      hour: 0,
      avg: 0,
    };
    const { status, body } = await get(`/v1/top?metric=pm10&from=${T0}&to=${T0 + 3 * H}&step=1h&agg=avg&n=2`);
    expect(status).toBe(200);
    expect(body.entries).toEqual([
      { site: "mine-7", device: "d-2", metric: "pm10", unit: "ug/m3", ts: T0 + H, value: 589.5, count: 60 },
      {
        site: "mine-9",
        device: "d-3",
        metric: "pm10",
        unit: "ug/m3",
        ts: T0 + best.hour * H,
        value: best.avg,
        count: 60,
      },
    ]);
  });

  it("ranks whole series over the range without a step", async () => {
    const { body } = await get(`/v1/top?metric=pm10&from=${T0}&to=${T0 + 3 * H}&agg=max&n=3`);
    expect(body.entries.map((e: { device: string; value: number; ts: null }) => [e.device, e.value, e.ts])).toEqual([
      ["d-2", 619, null],
      ["d-3", 36, null],
      ["d-1", 16, null],
    ]);
  });

  it("gives the latest values of a site", async () => {
    const { body } = await get("/v1/latest?site=mine-7");
    expect(body).toEqual({
      site: "mine-7",
      values: [
        { device: "d-1", metric: "pm10", unit: "ug/m3", ts: T0 + 179 * 60_000, value: value(1, 179) },
        { device: "d-2", metric: "pm10", unit: "ug/m3", ts: T0 + 179 * 60_000, value: value(2, 179) },
      ],
    });
  });

  it("keeps devices' catalogue entries and finds series by their words", async () => {
    const put = await app.inject({
      method: "PUT",
      url: "/v1/catalogue/devices/mine-9/d-3",
      payload: { kind: "dust-monitor", name: "Crusher", location: "crusher house, east wall" },
    });
    expect(put.statusCode).toBe(200);
    const { body } = await get("/v1/catalogue?q=crusher%20east");
    expect(body).toEqual({
      truncated: false,
      series: [
        {
          site: "mine-9",
          device: "d-3",
          metric: "pm10",
          gateway: "gw-01",
          unit: "ug/m3",
          kind: "dust-monitor",
          name: "Crusher",
          location: "crusher house, east wall",
          latitude: null,
          longitude: null,
          firstTs: T0,
          lastTs: T0 + 179 * 60_000,
          lastValue: value(3, 179),
          samples: 180,
        },
      ],
    });
    const bad = await app.inject({
      method: "PUT",
      url: "/v1/catalogue/devices/mine-9/d-3",
      payload: { kind: "x", latitude: 91 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: "API_BAD_PARAMETER", parameter: "latitude" });
  });

  it("exports raw readings as CSV and hourly buckets as Parquet", async () => {
    const csv = await app.inject({
      method: "GET",
      url: `/v1/export?device=d-1&metric=pm10&from=${T0}&to=${T0 + 180_000}`,
    });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(csv.headers["content-disposition"]).toBe('attachment; filename="lifeline-d-1-2026-03-01T000000000Z.csv"');
    expect(csv.body).toBe(
      [
        "site,device,metric,ts,value,unit,quality",
        '"mine-7","d-1","pm10","2026-03-01 00:00:00.000",10,"ug/m3","good"',
        '"mine-7","d-1","pm10","2026-03-01 00:01:00.000",11,"ug/m3","good"',
        '"mine-7","d-1","pm10","2026-03-01 00:02:00.000",12,"ug/m3","good"',
        "",
      ].join("\n"),
    );
    const parquet = await app.inject({
      method: "GET",
      url: `/v1/export?format=parquet&site=mine-7&from=${T0}&to=${T0 + 3 * H}&step=1h&agg=max`,
    });
    expect(parquet.headers["content-type"]).toBe("application/vnd.apache.parquet");
    const file = join(dir, "hours.parquet");
    writeFileSync(file, parquet.rawPayload);
    expect(
      await store.driver.query(`SELECT device, toString(ts) AS ts, count, max FROM file('${file}', Parquet)`),
    ).toEqual([
      { device: "d-1", ts: "2026-03-01 00:00:00.000", count: 60, max: 16 },
      { device: "d-1", ts: "2026-03-01 01:00:00.000", count: 60, max: 16 },
      { device: "d-1", ts: "2026-03-01 02:00:00.000", count: 60, max: 16 },
      { device: "d-2", ts: "2026-03-01 00:00:00.000", count: 60, max: 26 },
      { device: "d-2", ts: "2026-03-01 01:00:00.000", count: 60, max: 619 },
      { device: "d-2", ts: "2026-03-01 02:00:00.000", count: 60, max: 26 },
    ]);
  });

  it.each([
    ["/v1/top?from=1&to=2", "metric"],
    [`/v1/top?metric=pm10&from=${T0}&to=${T0 + H}&n=0`, "n"],
    ["/v1/latest", "site"],
    ["/v1/catalogue?limit=x", "limit"],
    [`/v1/export?device=d-1&from=${T0}&to=${T0 + H}&format=xlsx`, "format"],
    [`/v1/export?device=d-1&from=${T0}&to=${T0 + H}&agg=avg`, "step"],
    [`/v1/export?from=${T0}&to=${T0 + H}`, "device"],
  ])("answers 400 naming the parameter: %s", async (url, parameter) => {
    const { status, body } = await get(url);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "API_BAD_PARAMETER", parameter });
  });

  it("serves an OpenAPI document of every route with its parameters", async () => {
    const { status, body } = await get("/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    const operations = Object.entries(body.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(operations.sort()).toEqual(ROUTE_DOCS.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`).sort());
    const series = body.paths["/v1/series"].get.parameters;
    expect(series.map((p: { name: string }) => p.name)).toEqual([
      "site",
      "device",
      "metric",
      "from",
      "to",
      "step",
      "tz",
      "agg",
      "fill",
      "layout",
      "format",
      "limit",
    ]);
    expect(Object.keys(body.paths["/v1/series"].get.responses["200"].content)).toEqual([
      "application/json",
      "application/vnd.apache.arrow.stream",
    ]);
    expect(series.find((p: { name: string }) => p.name === "fill").schema).toEqual({
      type: "string",
      enum: ["none", "null", "previous", "linear"],
    });
    expect(body.paths["/v1/sql"].post.requestBody.content["application/json"].schema.required).toEqual(["sql"]);
    expect(Object.keys(body.paths["/v1/sql"].post.responses)).toEqual(["200", "400", "422", "429", "500"]);
    expect(body.paths["/v1/top"].get.parameters.find((p: { name: string }) => p.name === "metric").required).toBe(true);
    expect(
      body.paths["/v1/catalogue/devices/{site}/{device}"].put.requestBody.content["application/json"].schema.required,
    ).toEqual(["kind"]);
  });

  it("serves a valid OpenAPI 3.1 document, shared schemas as components", async () => {
    const { body } = await get("/openapi.json");
    const validator = new Validator();
    expect(await validator.validate(body)).toEqual({ valid: true });
    expect(validator.version).toBe("3.1");
    // The SQL parameters' values nest (arrays of values): one component referring to itself.
    const params = body.paths["/v1/sql"].post.requestBody.content["application/json"].schema.properties.params;
    expect(params.additionalProperties).toEqual({ $ref: "#/components/schemas/SqlParamValue" });
    expect(body.components.schemas.SqlParamValue.anyOf[4].items).toEqual({
      $ref: "#/components/schemas/SqlParamValue",
    });
  });

  it("describes every answer: the JSON schema of each success, the error body, a 204 without one", async () => {
    const { body } = await get("/openapi.json");
    const responses = (path: string, method: string) => body.paths[path][method].responses;
    const series = responses("/v1/series", "get")["200"].content;
    expect(series["application/vnd.apache.arrow.stream"]).toEqual({});
    const layouts = series["application/json"].schema.oneOf.map(
      (s: { properties: { layout: { const: string } } }) => s.properties.layout.const,
    );
    expect(layouts).toEqual(["rows", "columns", "grid"]);
    const grid = series["application/json"].schema.oneOf[2];
    expect(grid.additionalProperties).toBe(false);
    expect(grid.required).toEqual([
      "from",
      "to",
      "step",
      "agg",
      "fill",
      "tz",
      "source",
      "truncated",
      "layout",
      "ts",
      "series",
    ]);
    expect(Object.keys(responses("/v1/alerts/{id}/close", "post"))).toEqual(["200", "400", "404", "409", "500"]);
    expect(responses("/v1/alerts/{id}/close", "post")["409"].content["application/json"].schema.required).toEqual([
      "error",
    ]);
    expect(responses("/v1/webhooks/{id}", "delete")["204"]).toEqual({ description: "Done; no body" });
    expect(Object.keys(responses("/v1/webhooks/{id}", "put"))).toEqual(["200", "201", "400", "500"]);
    const webhook = responses("/v1/webhooks/{id}", "get")["200"].content["application/json"].schema;
    expect(Object.keys(webhook.properties)).not.toContain("secret");
    expect(Object.keys(responses("/v1/export", "get")["200"].content)).toEqual([
      "text/csv",
      "application/vnd.apache.parquet",
    ]);
    expect(responses("/v1/snapshots/{site}/{device}/{name}", "get")["200"].content).toEqual({ "image/jpeg": {} });
    const without = Object.entries(body.paths as Record<string, Record<string, { responses: object }>>).flatMap(
      ([path, ops]) =>
        Object.entries(ops)
          .filter(([, op]) =>
            Object.values(op.responses).some(
              (r) =>
                r.content?.["application/json"]?.schema === undefined && r.content?.["application/json"] !== undefined,
            ),
          )
          .map(([method]) => `${method} ${path}`),
    );
    expect(without).toEqual([]);
    const hook = body.webhooks.alertEvent.post;
    expect(hook.parameters.map((p: { name: string; in: string }) => `${p.in} ${p.name}`)).toEqual([
      "header Lifeline-Webhook-Id",
      "header Lifeline-Timestamp",
      "header Lifeline-Signature",
      "header Idempotency-Key",
    ]);
    const bodies = hook.requestBody.content["application/json"].schema.oneOf;
    expect(bodies.map((b: { properties: { version: { const: unknown } } }) => b.properties.version.const)).toEqual([
      1,
      "4",
    ]);
  });
});
