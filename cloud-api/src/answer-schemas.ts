import { AGGREGATES, FILL_MODES } from "@lifeline/store";
import { z } from "zod";

// What the query routes answer, as the OpenAPI document describes it and as `checkAnswers` holds
// every answer to in the tests: the document cannot promise a field the API does not send, nor
// leave out one it does (objects are strict).

/** A time as every answer gives it. */
export const epochMs = z.int().describe("Epoch milliseconds");
/** An aggregate is null where a bucket was filled with null (fill=null, or before the first value with fill=previous). */
const aggregateValue = z.number().nullable();
const AGGREGATE_FIELDS = AGGREGATES.filter((a) => a !== "count");

const seriesKey = {
  site: z.string(),
  device: z.string(),
  metric: z.string(),
  unit: z.string().describe("The unit the readings were sent with (empty when none)"),
};

/** `{ avg?: …, max?: … }`: a field per aggregate asked for, each of the given type. */
function aggregateFields<T extends z.ZodType>(type: T): Record<string, z.ZodOptional<T>> {
  return Object.fromEntries(AGGREGATE_FIELDS.map((a) => [a, type.optional()]));
}

const rawPoint = z.strictObject({ ts: epochMs, value: z.number(), quality: z.string() });
const bucketPoint = z.strictObject({
  ts: epochMs.describe("The bucket's start"),
  count: z.int().min(0).describe("Readings in the bucket (0 where filled)"),
  ...aggregateFields(aggregateValue),
});
const rawColumns = z.strictObject({ ts: z.array(epochMs), value: z.array(z.number()), quality: z.array(z.string()) });
const bucketColumns = z.strictObject({
  ts: z.array(epochMs),
  count: z.array(z.int().min(0)),
  ...aggregateFields(z.array(aggregateValue)),
});

const seriesEnvelope = {
  from: epochMs,
  to: epochMs,
  step: z.int().positive().nullable().describe("Bucket width in ms; null for raw readings"),
  agg: z.array(z.enum(["raw", ...AGGREGATES])),
  fill: z.enum(FILL_MODES),
  tz: z.string().describe("The zone buckets start in (UTC unless `tz` was given)"),
  source: z.string().describe("Which table answered: telemetry, or a rollup with raw readings at the ends"),
  truncated: z.boolean().describe("More points matched than `limit`"),
};

/** `GET /v1/series` as JSON, one shape per `layout`. */
export const seriesAnswerSchema = z.discriminatedUnion("layout", [
  z.strictObject({
    ...seriesEnvelope,
    layout: z.literal("rows"),
    series: z.array(z.strictObject({ ...seriesKey, points: z.union([z.array(rawPoint), z.array(bucketPoint)]) })),
  }),
  z.strictObject({
    ...seriesEnvelope,
    layout: z.literal("columns"),
    series: z.array(z.strictObject({ ...seriesKey, columns: z.union([rawColumns, bucketColumns]) })),
  }),
  z.strictObject({
    ...seriesEnvelope,
    layout: z.literal("grid"),
    ts: z.array(epochMs).describe("The time axis of every series: each bucket start any of them has, ascending"),
    series: z.array(
      z.strictObject({
        ...seriesKey,
        columns: z.strictObject({ count: z.array(z.int().min(0)), ...aggregateFields(z.array(aggregateValue)) }),
      }),
    ),
  }),
]);

/** `GET /v1/top`. */
export const topAnswerSchema = z.strictObject({
  site: z.string().optional(),
  devices: z.array(z.string()).optional(),
  metrics: z.array(z.string()).optional(),
  from: epochMs,
  to: epochMs,
  stepMs: z.int().positive().optional(),
  step: z.int().positive().nullable(),
  agg: z.enum(AGGREGATES),
  n: z.int().positive(),
  order: z.enum(["desc", "asc"]),
  tz: z.string(),
  entries: z.array(
    z.strictObject({
      ...seriesKey,
      ts: epochMs.nullable().describe("The bucket's start with a step; null when whole series are ranked"),
      value: z.number(),
      count: z.int().min(0),
    }),
  ),
});

const device = {
  kind: z.string(),
  name: z.string(),
  location: z.string(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
};

/** `GET /v1/catalogue`. */
export const catalogueAnswerSchema = z.strictObject({
  truncated: z.boolean(),
  series: z.array(
    z.strictObject({
      ...seriesKey,
      gateway: z.string(),
      ...device,
      firstTs: epochMs,
      lastTs: epochMs,
      lastValue: z.number(),
      samples: z.int().min(0),
    }),
  ),
});

/** `PUT /v1/catalogue/devices/:site/:device`: the entry as stored. */
export const deviceAnswerSchema = z.strictObject({ site: z.string(), device: z.string(), ...device });

/** `GET /v1/latest`. */
export const latestAnswerSchema = z.strictObject({
  site: z.string(),
  values: z.array(
    z.strictObject({ device: z.string(), metric: z.string(), unit: z.string(), ts: epochMs, value: z.number() }),
  ),
});

/** `GET /v1/ingest/gaps`. */
export const gapsAnswerSchema = z.strictObject({
  site: z.string().nullable(),
  gateway: z.string().nullable(),
  from: epochMs.nullable(),
  to: epochMs.nullable(),
  missing: z.int().min(0).describe("Envelopes missing in all the gaps listed"),
  gaps: z.array(
    z.strictObject({
      site: z.string(),
      gateway: z.string(),
      boot_id: z.string(),
      first: z.int().min(0).describe("First missing sequence number"),
      last: z.int().min(0).describe("Last missing sequence number, inclusive"),
      missing: z.int().positive(),
    }),
  ),
});

/** `POST /v1/sql` as JSON: 64-bit integers and decimals come as strings (exact). */
export const sqlAnswerSchema = z.strictObject({
  columns: z.array(z.strictObject({ name: z.string(), type: z.string().describe("The ClickHouse type") })),
  rows: z.array(z.array(z.unknown())),
  elapsed_ms: z.int().min(0),
});

/** `GET /healthz`. */
export const healthAnswerSchema = z.strictObject({ ok: z.literal(true) });

/** `GET /v1/status`: pipeline counters, whichever the hosting process has. */
export const statusAnswerSchema = z.looseObject({ ok: z.literal(true) });
