// PostgreSQL side of the query benchmark (issue 6): the query dataset in ThingsBoard's ts_kv layout,
// and the four benchmark queries written as the best single SQL statement PostgreSQL can run on that
// layout (not ThingsBoard's one-query-per-interval). The server itself: postgres-instance.ts.
// Background and the measurements behind the settings: scratch/research-pg-tskv.md.
import { createHash } from "node:crypto";
import { MAX_SERIES_ITEMS } from "@lifeline/cloud-api";
import type pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { median } from "./median.ts";
import { PostgresBenchError } from "./postgres-instance.ts";

export { PostgresBenchError, type PostgresInstance, startPostgres } from "./postgres-instance.ts";

/** Same shape as the ClickHouse side's dataset; both generate identical readings from it. */
export interface QueryDataset {
  sensors: number;
  perSensor: number;
  intervalMs: number;
  startMs: number;
  sensorsPerSite: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** key_dictionary id of `pm10`: the first key a fresh dictionary hands out (its serial starts at 1). */
export const PM10_KEY_ID = 1;
/** Rows per INSERT … SELECT, so that progress shows and one statement stays a few seconds long. */
const ROWS_PER_CHUNK = 5_000_000;
export const EXPORT_ROWS = 1_000_000;

/**
 * How many sensors an export takes, whole: enough for `rows` readings (exactly that many where
 * perSensor divides it: Q4 is 20 × 50,000 by default), and no more than one API request can name.
 * Q4 exports the same sensors on both sides.
 */
export function exportSensors(ds: QueryDataset, rows = EXPORT_ROWS): number {
  return Math.min(Math.ceil(rows / ds.perSensor), ds.sensors, MAX_SERIES_ITEMS);
}

/**
 * Value of reading k of sensor i, as SQL; `i` and `k` must be bigint (ClickHouse: Int64) so that
 * `%` is integer modulo without overflow. ClickHouse evaluates the same expression (its `/` is always
 * Float64 division; `50.0::float8` makes PostgreSQL's `/` the same instead of numeric division).
 */
export function readingValueSql(i: string, k: string, intervalMs: number): string {
  return `50 + 30 * sin(2 * pi() * ((${k} * ${intervalMs}) % ${DAY_MS}) / ${DAY_MS} + ${i}) + ((${i} * 7919 + ${k} * 104729) % 1000) / 50.0::float8`;
}

/** The same formula in JS, for checks; Math.sin may differ from libm's sin in the last bit. */
export function readingValue(i: number, k: number, intervalMs: number): number {
  return (
    50 + 30 * Math.sin((2 * Math.PI * ((k * intervalMs) % DAY_MS)) / DAY_MS + i) + ((i * 7919 + k * 104729) % 1000) / 50
  );
}

/** ts_kv.entity_id of sensor i: `md5('sensor-' || i)::uuid`, deterministic on both sides. */
export function sensorEntityId(i: number): string {
  const h = createHash("md5").update(`sensor-${i}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** entity_id → device name (`sensor-${i}`) for every sensor of the dataset. */
export function sensorDevices(ds: QueryDataset): Map<string, string> {
  return new Map(Array.from({ length: ds.sensors }, (_, i) => [sensorEntityId(i), `sensor-${i}`]));
}

export function datasetEndMs(ds: QueryDataset): number {
  return ds.startMs + ds.perSensor * ds.intervalMs;
}

/** ThingsBoard's default `MONTHS` partitioning: `ts_kv_YYYY_MM` over [first of month, next first). */
function monthlyPartitions(fromMs: number, toMs: number): { name: string; from: number; to: number }[] {
  const first = new Date(fromMs);
  const out = [];
  for (let m = first.getUTCMonth(); ; m++) {
    const from = Date.UTC(first.getUTCFullYear(), m, 1);
    if (from >= toMs) return out;
    const d = new Date(from);
    out.push({
      name: `ts_kv_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, "0")}`,
      from,
      to: Date.UTC(first.getUTCFullYear(), m + 1, 1),
    });
  }
}

/**
 * ThingsBoard's current `schema-ts-psql.sql` (thingsboard/thingsboard dao/src/main/resources/sql):
 * ts_kv range-partitioned on ts, PK (entity_id, key, ts), dictionary `key_dictionary`. Partitions as
 * ThingsBoard's SqlTsDatabaseSchemaService makes them (default `MONTHS`, plus `ts_kv_indefinite`
 * DEFAULT). The PK is added after the load (see loadTsKv). `lifeline_sensor` is ours, not ThingsBoard's:
 * the sensor ↔ entity_id map for loading and for checking by hand; no benchmark query reads it.
 */
function schemaSql(ds: QueryDataset): string[] {
  const parts = monthlyPartitions(ds.startMs, datasetEndMs(ds));
  return [
    "DROP TABLE IF EXISTS ts_kv, key_dictionary, lifeline_sensor",
    `CREATE TABLE ts_kv (
      entity_id uuid NOT NULL, key int NOT NULL, ts bigint NOT NULL, bool_v boolean,
      str_v varchar(10000000), long_v bigint, dbl_v double precision, json_v json
    ) PARTITION BY RANGE (ts)`,
    "CREATE TABLE ts_kv_indefinite PARTITION OF ts_kv DEFAULT",
    ...parts.map((p) => `CREATE TABLE ${p.name} PARTITION OF ts_kv FOR VALUES FROM (${p.from}) TO (${p.to})`),
    `CREATE TABLE key_dictionary (
      key varchar(255) NOT NULL, key_id serial UNIQUE, CONSTRAINT key_dictionary_id_pkey PRIMARY KEY (key)
    )`,
    "CREATE TABLE lifeline_sensor (i bigint PRIMARY KEY, device text NOT NULL, site text NOT NULL, entity_id uuid NOT NULL, readings bigint NOT NULL)",
    `INSERT INTO lifeline_sensor
      SELECT i, 'sensor-' || i, 'site-' || (i / ${ds.sensorsPerSite}), md5('sensor-' || i)::uuid, ${ds.perSensor}
      FROM generate_series(0::bigint, ${ds.sensors - 1}) AS i`,
  ];
}

/**
 * Readings of sensors [first, last], generated in the server. The lateral reference to `s.readings`
 * makes each sensor's series come out whole, so in the heap every sensor's readings are contiguous
 * and in ts order (sensors in index order, which is not uuid order): the best case for reading a few
 * sensors, close to a CLUSTERed table. Live ThingsBoard ingest leaves the heap in time order instead,
 * one row per page per sensor, which the research measured 13× slower on Q1 and 3× on Q2.
 */
export function loadChunkSql(ds: QueryDataset, first: number, last: number): string {
  return `INSERT INTO ts_kv (entity_id, key, ts, dbl_v)
SELECT s.entity_id, ${PM10_KEY_ID}, ${ds.startMs} + k * ${ds.intervalMs}, ${readingValueSql("s.i", "k", ds.intervalMs)}
FROM lifeline_sensor AS s CROSS JOIN LATERAL generate_series(0::bigint, s.readings - 1) AS k
WHERE s.i BETWEEN ${first} AND ${last}`;
}

export interface LoadProgress {
  rows: number;
  totalRows: number;
  elapsedMs: number;
}

export interface LoadResult {
  rows: number;
  loadMs: number;
  indexMs: number;
  vacuumMs: number;
  /** Heap + TOAST + FSM + VM of every ts_kv partition (the partitioned parent has no storage). */
  tableBytes: number;
  /** All indexes of every partition, i.e. the PK. */
  indexBytes: number;
  /** tableBytes + indexBytes = Σ pg_total_relation_size over the partitions; the dictionary is not counted. */
  bytes: number;
  bytesPerRow: number;
}

/**
 * Creates the schema and loads the dataset with one in-server INSERT … SELECT per chunk of sensors,
 * then adds the PK and runs VACUUM ANALYZE (autovacuum is off; without it there are no planner stats
 * and no visibility map for index-only scans). The PK is built after the load: for 5M rows of this
 * input, 6.5 s insert + 4.2 s PK against 22.1 s inserting into the PK, which also came out 423 MB
 * instead of 237 MB (md5 entity ids arrive in random order, so the btree splits pages half full).
 */
export async function loadTsKv(
  client: pg.Client,
  ds: QueryDataset,
  onProgress?: (p: LoadProgress) => void,
): Promise<LoadResult> {
  for (const sql of schemaSql(ds)) await client.query(sql);
  const key = await client.query<{ key_id: number }>(
    "INSERT INTO key_dictionary (key) VALUES ('pm10') RETURNING key_id",
  );
  if (key.rows[0]?.key_id !== PM10_KEY_ID) {
    throw new PostgresBenchError(
      "BENCH_PG_KEY_ID",
      `key_dictionary gave pm10 id ${key.rows[0]?.key_id}, expected ${PM10_KEY_ID}`,
    );
  }
  const totalRows = ds.sensors * ds.perSensor;
  const perChunk = Math.max(1, Math.floor(ROWS_PER_CHUNK / ds.perSensor));
  const t0 = performance.now();
  let rows = 0;
  for (let first = 0; first < ds.sensors; first += perChunk) {
    const result = await client.query(loadChunkSql(ds, first, Math.min(first + perChunk, ds.sensors) - 1));
    rows += result.rowCount ?? 0;
    onProgress?.({ rows, totalRows, elapsedMs: performance.now() - t0 });
  }
  const t1 = performance.now();
  await client.query("ALTER TABLE ts_kv ADD CONSTRAINT ts_kv_pkey PRIMARY KEY (entity_id, key, ts)");
  const t2 = performance.now();
  await client.query("VACUUM ANALYZE ts_kv");
  const t3 = performance.now();
  const size = await client.query<{ table_bytes: string; index_bytes: string }>(
    `SELECT sum(pg_table_size(relid)) AS table_bytes, sum(pg_indexes_size(relid)) AS index_bytes
     FROM pg_partition_tree('ts_kv') WHERE isleaf`,
  );
  const tableBytes = Number(size.rows[0]?.table_bytes ?? 0);
  const indexBytes = Number(size.rows[0]?.index_bytes ?? 0);
  const bytes = tableBytes + indexBytes;
  return {
    rows,
    loadMs: t1 - t0,
    indexMs: t2 - t1,
    vacuumMs: t3 - t2,
    tableBytes,
    indexBytes,
    bytes,
    bytesPerRow: bytes / rows,
  };
}

/**
 * What the ClickHouse side compares (PostgreSQL and ClickHouse may differ in the last bit of sin(),
 * so floats compare with an absolute tolerance of 1e-9, sums of averages with a relative 1e-9):
 * - Q1: buckets, sumCount exact; minMin, maxMax ±1e-9.
 * - Q2: buckets exact; sumAvg relative 1e-9.
 * - Q3: devices exact and in order (unless two maxima lie within 1e-9, then their order may swap); max ±1e-9.
 * - Q4: rows exact; bytes is only informative (the CSV columns and number formats differ).
 */
export type QueryChecksum = Record<string, number | number[] | string[]>;

export interface TsKvQuery {
  name: "Q1" | "Q2" | "Q3" | "Q4";
  description: string;
  /** The window is [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  sql: string;
  execute(client: pg.Client): Promise<{ rows: number; checksum: QueryChecksum }>;
}

const uuidList = (first: number, count: number) =>
  Array.from({ length: count }, (_, j) => `'${sensorEntityId(first + j)}'`).join(", ");

/** The four benchmark queries, with their parameters taken from the dataset. */
export function tsKvQueries(ds: QueryDataset): TsKvQuery[] {
  const endMs = datasetEndMs(ds);
  return [q1SensorHourly(ds, endMs), q2SiteMinutely(ds, endMs), q3TopSensors(ds, endMs), q4ExportCsv(ds, endMs)];
}

function q1SensorHourly(ds: QueryDataset, endMs: number): TsKvQuery {
  const fromMs = ds.startMs;
  const sql = `SELECT ts / ${HOUR_MS} * ${HOUR_MS} AS bucket_ms, avg(dbl_v) AS avg_v, min(dbl_v) AS min_v, max(dbl_v) AS max_v, count(*) AS n
FROM ts_kv
WHERE entity_id = '${sensorEntityId(0)}' AND key = ${PM10_KEY_ID} AND ts >= ${fromMs} AND ts < ${endMs}
GROUP BY bucket_ms ORDER BY bucket_ms`;
  return {
    name: "Q1",
    description: "sensor-0, whole dataset, 1-hour buckets: avg, min, max, count",
    fromMs,
    toMs: endMs,
    sql,
    async execute(client) {
      const { rows } = await client.query<{ n: string; min_v: number; max_v: number }>(sql);
      const checksum = {
        buckets: rows.length,
        sumCount: rows.reduce((sum, r) => sum + Number(r.n), 0),
        minMin: Math.min(...rows.map((r) => r.min_v)),
        maxMax: Math.max(...rows.map((r) => r.max_v)),
      };
      return { rows: rows.length, checksum };
    },
  };
}

function q2SiteMinutely(ds: QueryDataset, endMs: number): TsKvQuery {
  const fromMs = endMs - DAY_MS;
  // The site's sensors by entity_id, as ThingsBoard's application resolves them before querying ts_kv.
  // Per-sensor LATERAL (PK range scan + small hash aggregate per sensor) rather than `entity_id IN (…)
  // GROUP BY entity_id, minute_ms`, which runs as bitmap scan → hash aggregate of all 72k groups → sort.
  // At 10M rows: psql 115–200 ms against 330–500 ms; through node-postgres, which also parses the 72k
  // rows, median 274 against 355 ms.
  const sql = `SELECT s.entity_id, m.minute_ms, m.avg_v
FROM unnest(ARRAY[${uuidList(0, Math.min(ds.sensorsPerSite, ds.sensors))}]::uuid[]) WITH ORDINALITY AS s(entity_id, n)
CROSS JOIN LATERAL (
  SELECT ts / 60000 * 60000 AS minute_ms, avg(dbl_v) AS avg_v FROM ts_kv
  WHERE entity_id = s.entity_id AND key = ${PM10_KEY_ID} AND ts >= ${fromMs} AND ts < ${endMs}
  GROUP BY minute_ms
) AS m
ORDER BY s.n, m.minute_ms`;
  return {
    name: "Q2",
    description: "site-0 (its sensors), last 24 h, 1-minute buckets: avg per sensor",
    fromMs,
    toMs: endMs,
    sql,
    async execute(client) {
      const { rows } = await client.query<{ avg_v: number }>(sql);
      return {
        rows: rows.length,
        checksum: { buckets: rows.length, sumAvg: rows.reduce((sum, r) => sum + r.avg_v, 0) },
      };
    },
  };
}

function q3TopSensors(ds: QueryDataset, endMs: number): TsKvQuery {
  const fromMs = endMs - 7 * DAY_MS;
  // One PK range scan per sensor: ts_kv has no index leading with ts, and PostgreSQL 15 has no skip
  // scan, so the plain `WHERE key = … AND ts … GROUP BY entity_id` reads the whole table (parallel seq
  // scan): 650–1,200 ms against 240 ms for this form at 10M rows. The sensor list is what the
  // application knows from its device table.
  const sql = `SELECT s.entity_id, m.max_v
FROM unnest(ARRAY[${uuidList(0, ds.sensors)}]::uuid[]) AS s(entity_id)
CROSS JOIN LATERAL (
  SELECT max(dbl_v) AS max_v FROM ts_kv
  WHERE entity_id = s.entity_id AND key = ${PM10_KEY_ID} AND ts >= ${fromMs} AND ts < ${endMs}
) AS m
ORDER BY m.max_v DESC NULLS LAST, s.entity_id LIMIT 10`;
  const devices = sensorDevices(ds);
  return {
    name: "Q3",
    description: "top 10 sensors by max(value), last 7 days, all sensors",
    fromMs,
    toMs: endMs,
    sql,
    async execute(client) {
      const { rows } = await client.query<{ entity_id: string; max_v: number }>(sql);
      const checksum = {
        devices: rows.map((r) => devices.get(r.entity_id) ?? r.entity_id),
        max: rows.map((r) => r.max_v),
      };
      return { rows: rows.length, checksum };
    },
  };
}

function q4ExportCsv(ds: QueryDataset, endMs: number): TsKvQuery {
  const sensors = exportSensors(ds);
  // "By sensor" is by entity_id, the PK's order, so the rows stream from the PK index (Merge Append
  // over the partitions, no sort). The same whole sensors as the ClickHouse side, so the row sets
  // are equal at any dataset shape. The CSV holds what ts_kv holds: entity_id, ts (epoch ms), dbl_v.
  const sql = `COPY (
  SELECT entity_id, ts, dbl_v FROM ts_kv
  WHERE entity_id IN (${uuidList(0, sensors)}) AND key = ${PM10_KEY_ID}
  ORDER BY entity_id, ts
) TO STDOUT WITH CSV HEADER`;
  return {
    name: "Q4",
    description: `CSV export of the ${(sensors * ds.perSensor).toLocaleString("en")} readings of the first ${sensors} sensors`,
    fromMs: ds.startMs,
    toMs: endMs,
    sql,
    async execute(client) {
      let bytes = 0;
      let lines = 0;
      for await (const chunk of client.query(copyTo(sql)) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
      }
      return { rows: lines - 1, checksum: { rows: lines - 1, bytes } };
    },
  };
}

export interface QueryTiming {
  name: TsKvQuery["name"];
  /** The first run, before the warm-ups (cold caches). */
  firstMs: number;
  /** Wall time per run in the client: send, execute, receive and parse every row (Q4: read the whole stream). */
  ms: number[];
  medianMs: number;
  rows: number;
  checksum: QueryChecksum;
}

/**
 * Runs each query `warmups` times to warm the caches, then `runs` times; every run must give the
 * same checksum.
 */
export async function runTsKvQueries(
  client: pg.Client,
  ds: QueryDataset,
  { runs = 5, warmups = 1 } = {},
): Promise<QueryTiming[]> {
  const timings: QueryTiming[] = [];
  for (const query of tsKvQueries(ds)) {
    const t = performance.now();
    const warm = await query.execute(client);
    const firstMs = performance.now() - t;
    for (let w = 1; w < warmups; w++) await query.execute(client);
    const ms: number[] = [];
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      const result = await query.execute(client);
      ms.push(performance.now() - t0);
      if (!sameResult(result, warm)) {
        throw new PostgresBenchError(
          "BENCH_PG_UNSTABLE_RESULT",
          `${query.name} gave ${JSON.stringify(result)} after ${JSON.stringify(warm)}`,
        );
      }
    }
    timings.push({ name: query.name, firstMs, ms, medianMs: median(ms), rows: warm.rows, checksum: warm.checksum });
  }
  return timings;
}

/** Equal up to a relative 1e-9 on numbers: a parallel plan may sum floats in another order. */
function sameResult(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return a === b;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => sameResult((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
