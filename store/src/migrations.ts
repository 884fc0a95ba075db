import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { createTable, createView, type DdlContext, localTable, onCluster } from "./ddl-context.ts";
import { StoreError } from "./store-error.ts";

export interface Migration {
  version: number;
  name: string;
  /** The statements for a single server or a cluster (see {@link DdlContext}). */
  statements: (ctx: DdlContext) => readonly string[];
}

const TELEMETRY_COLUMNS = `
  site LowCardinality(String),
  gateway LowCardinality(String),
  device LowCardinality(String),
  metric LowCardinality(String),
  ts DateTime64(3, 'UTC') CODEC(DoubleDelta, ZSTD),
  value Float64 CODEC(Gorilla, ZSTD),
  unit LowCardinality(String),
  quality Enum8('good' = 0, 'uncertain' = 1, 'bad' = 2),
  boot_id LowCardinality(String),
  seq UInt64 CODEC(Delta, ZSTD),
  idx UInt16,
  stream_seq UInt64 CODEC(Delta, ZSTD),
  ingested_at DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(DoubleDelta, ZSTD)`;

/**
 * A rollup bucket: what every aggregate of the query API can be computed from. min, max, sum and
 * count as plain values; first and last by source time; a t-digest sketch for quantiles (the only
 * sketch that stayed accurate in rank on offset data such as 20 ± 0.3 °C — research in the store
 * README). `last_ts` and `gateway` feed the series index.
 */
const ROLLUP_COLUMNS = `
  site LowCardinality(String),
  device LowCardinality(String),
  metric LowCardinality(String),
  bucket DateTime('UTC') CODEC(DoubleDelta, ZSTD),
  gateway SimpleAggregateFunction(anyLast, LowCardinality(String)),
  unit SimpleAggregateFunction(anyLast, LowCardinality(String)),
  samples SimpleAggregateFunction(sum, UInt64),
  value_sum SimpleAggregateFunction(sum, Float64),
  value_min SimpleAggregateFunction(min, Float64),
  value_max SimpleAggregateFunction(max, Float64),
  value_first AggregateFunction(argMin, Float64, DateTime64(3, 'UTC')),
  value_last AggregateFunction(argMax, Float64, DateTime64(3, 'UTC')),
  last_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  value_quantiles AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)`;

const SERIES_KEY = "cityHash64(site, device)";

/** Readings of bad quality are kept raw but are not measurements: no aggregate counts them. */
export const MINUTE_ROLLUP = `SELECT site, device, metric, toStartOfMinute(ts) AS bucket, anyLast(gateway) AS gateway,
    anyLast(unit) AS unit, count() AS samples, sum(value) AS value_sum, min(value) AS value_min,
    max(value) AS value_max, argMinState(value, ts) AS value_first, argMaxState(value, ts) AS value_last,
    max(ts) AS last_ts, quantilesTDigestState(0.5, 0.95, 0.99)(value) AS value_quantiles
  FROM {from} WHERE quality != 'bad'
  GROUP BY site, device, metric, bucket`;

/**
 * Versioned and append-only: a released migration is never edited, a new one is added.
 * Every statement is idempotent (IF NOT EXISTS) so a crash half-way through is safe to re-run.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "telemetry and quarantine",
    statements: (ctx) => [
      ...createTable(
        {
          name: "telemetry",
          columns: TELEMETRY_COLUMNS,
          engine: "MergeTree",
          clauses: "PARTITION BY toYYYYMM(ts) ORDER BY (site, device, metric, ts)",
          shardKey: SERIES_KEY,
        },
        ctx,
      ),
      ...createTable(
        {
          name: "quarantine",
          columns: `received_at DateTime64(3, 'UTC') DEFAULT now64(3),
            source LowCardinality(String), subject String, code LowCardinality(String),
            reason String, payload String CODEC(ZSTD), stream_seq UInt64`,
          engine: "MergeTree",
          clauses: "PARTITION BY toYYYYMM(received_at) ORDER BY (received_at)",
          shardKey: "rand()",
        },
        ctx,
      ),
    ],
  },
  {
    version: 2,
    name: "rollups at 1 minute and 1 hour, series index, device catalogue",
    statements: (ctx) => [
      ...createTable(
        {
          name: "telemetry_1m",
          columns: ROLLUP_COLUMNS,
          engine: "AggregatingMergeTree",
          clauses: "PARTITION BY toYYYYMM(bucket) ORDER BY (site, device, metric, bucket)",
          shardKey: SERIES_KEY,
        },
        ctx,
      ),
      ...createTable(
        {
          name: "telemetry_1h",
          columns: ROLLUP_COLUMNS,
          engine: "AggregatingMergeTree",
          clauses: "PARTITION BY toYear(bucket) ORDER BY (site, device, metric, bucket)",
          shardKey: SERIES_KEY,
        },
        ctx,
      ),
      createView("telemetry_1m_mv", "telemetry", "telemetry_1m", MINUTE_ROLLUP, ctx),
      // Chained from the minutes: less insert CPU than a second view on raw (×1.13 against ×1.18 of no
      // views, measured), the same accuracy, and the hours can be rebuilt from minutes after raw expired.
      createView(
        "telemetry_1h_mv",
        "telemetry_1m",
        "telemetry_1h",
        `SELECT site, device, metric, toStartOfHour(m.bucket) AS bucket, anyLast(gateway) AS gateway,
          anyLast(unit) AS unit, sum(samples) AS samples, sum(value_sum) AS value_sum, min(value_min) AS value_min,
          max(value_max) AS value_max, argMinMergeState(value_first) AS value_first,
          argMaxMergeState(value_last) AS value_last, max(last_ts) AS last_ts,
          quantilesTDigestMergeState(0.5, 0.95, 0.99)(value_quantiles) AS value_quantiles
        FROM {from} AS m GROUP BY site, device, metric, bucket`,
        ctx,
      ),
      // One row per series once merged: what the catalogue lists and "latest values" reads.
      ...createTable(
        {
          name: "series_index",
          columns: `site LowCardinality(String), device LowCardinality(String), metric LowCardinality(String),
            gateway SimpleAggregateFunction(anyLast, LowCardinality(String)),
            unit SimpleAggregateFunction(anyLast, LowCardinality(String)),
            first_ts SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
            last_ts SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
            last_value AggregateFunction(argMax, Float64, DateTime64(3, 'UTC')),
            samples SimpleAggregateFunction(sum, UInt64)`,
          engine: "AggregatingMergeTree",
          clauses: "ORDER BY (site, device, metric)",
          shardKey: SERIES_KEY,
        },
        ctx,
      ),
      createView(
        "series_index_mv",
        "telemetry_1m",
        "series_index",
        `SELECT site, device, metric, anyLast(gateway) AS gateway, anyLast(unit) AS unit,
          toDateTime64(min(bucket), 3, 'UTC') AS first_ts, max(last_ts) AS last_ts,
          argMaxMergeState(value_last) AS last_value, sum(samples) AS samples
        FROM {from} GROUP BY site, device, metric`,
        ctx,
      ),
      // Readings stored before this version: rolled up once, from scratch (so a re-run after a crash
      // half-way does not count them twice); the minutes cascade into the hours and the index.
      ...["telemetry_1m", "telemetry_1h", "series_index"].map(
        (t) => `TRUNCATE TABLE IF EXISTS ${localTable(t, ctx)}${onCluster(ctx)}`,
      ),
      `INSERT INTO telemetry_1m ${MINUTE_ROLLUP.replace("{from}", "telemetry")}`,
      ...createTable(
        {
          name: "devices",
          columns: `site LowCardinality(String), device LowCardinality(String), kind LowCardinality(String),
            name String, location String, latitude Nullable(Float64), longitude Nullable(Float64),
            updated_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
          engine: "ReplacingMergeTree(updated_at)",
          clauses: "ORDER BY (site, device)",
          shardKey: SERIES_KEY,
        },
        ctx,
      ),
    ],
  },
  {
    version: 3,
    name: "alert events and silences",
    statements: (ctx) => [
      // Every transition of every alert. (site, alert_id, seq) identifies one: a replayed insert
      // older than the deduplication window still collapses when parts merge, and readers use FINAL.
      ...createTable(
        {
          name: "alert_events",
          columns: `id String, alert_id String, key String, seq UInt32,
            rule LowCardinality(String), site LowCardinality(String), device LowCardinality(String),
            kind LowCardinality(String), metric String, transition LowCardinality(String),
            state LowCardinality(String), level LowCardinality(String),
            at DateTime64(3, 'UTC'), fired_at DateTime64(3, 'UTC'), resolved_at Nullable(DateTime64(3, 'UTC')),
            condition_at DateTime64(3, 'UTC'), value Nullable(Float64), summary String, evidence String,
            by String, note String, silenced Bool, flapping Bool,
            stored_at DateTime64(3, 'UTC') DEFAULT now64(3)`,
          engine: "ReplacingMergeTree",
          clauses: "PARTITION BY toYYYYMM(fired_at) ORDER BY (site, alert_id, seq)",
          shardKey: "cityHash64(site)",
        },
        ctx,
      ),
      ...createTable(
        {
          name: "alert_silences",
          columns: `id String, site LowCardinality(String), device String, rule String,
            starts_at DateTime64(3, 'UTC'), ends_at DateTime64(3, 'UTC'), by String, comment String,
            created_at DateTime64(3, 'UTC'), version UInt64`,
          engine: "ReplacingMergeTree(version)",
          clauses: "ORDER BY (site, id)",
          shardKey: "cityHash64(site)",
        },
        ctx,
      ),
    ],
  },
  {
    version: 4,
    name: "inserted parts on disk before an insert returns",
    // ClickHouse writes a part and returns without forcing it to disk: a power cut (not a killed
    // process, whose writes the kernel still holds) could lose rows whose batch the stream processor
    // had acknowledged to JetStream. Every part of an insert — raw and each view's, and the parts
    // the stream processor attaches when it completes a cut-off insert — is fsynced with its
    // directory before the statement returns (tested with strace in the store's tests).
    statements: (ctx) =>
      DATA_TABLES.map(
        (t) =>
          `ALTER TABLE ${localTable(t, ctx)}${onCluster(ctx)} MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1`,
      ),
  },
  {
    version: 5,
    name: "raw telemetry merged in wider steps",
    // A stream processor inserts every few hundred milliseconds, and with the default base (5) the
    // merge selector kept folding each new small part into the largest: in 7 minutes at 100,000
    // readings/s (an insert each 300 ms, chdb 26.7) the raw table's largest part was rewritten 26
    // times and merges took 69 % of a core — more than the inserts and the views together. With a
    // base of 20 a merge waits for parts of comparable size: 27 % of a core, a largest part merged
    // 5 times, 20 active parts instead of 8 (store README, "Merged in wider steps"). The views' tables get a few
    // hundred rows an insert and are left at the default: their merges cost ~2 % of a core either way.
    // ClickHouse has the setting since November 2024 (pull request 71497); an older server refuses
    // it, and the migration fails with STORE_MIGRATION_FAILED naming it.
    statements: (ctx) => [
      `ALTER TABLE ${localTable("telemetry", ctx)}${onCluster(ctx)} MODIFY SETTING merge_selector_base = 20`,
    ],
  },
];

/** Every table Lifeline writes rows to. */
const DATA_TABLES = [
  "telemetry",
  "quarantine",
  "telemetry_1m",
  "telemetry_1h",
  "series_index",
  "devices",
  "alert_events",
  "alert_silences",
] as const;

/** Applies the migrations not yet recorded in `schema_migrations`, in order. Returns their versions. */
export async function migrate(
  driver: ClickHouseDriver,
  migrations: readonly Migration[] = MIGRATIONS,
  ctx: DdlContext = {},
): Promise<number[]> {
  // On a cluster each node keeps its own record; the DDL reaches them all through ON CLUSTER.
  await driver.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations${onCluster(ctx)} (
      version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
    ) ENGINE = MergeTree ORDER BY version`,
  );
  const done = new Set(
    (await driver.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => r.version),
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    try {
      for (const statement of m.statements(ctx)) await driver.exec(statement);
      await driver.exec("INSERT INTO schema_migrations (version, name) VALUES ({v:UInt32}, {n:String})", {
        v: m.version,
        n: m.name,
      });
    } catch (cause) {
      throw new StoreError("STORE_MIGRATION_FAILED", `migration ${m.version} (${m.name}) failed`, cause);
    }
    applied.push(m.version);
  }
  return applied;
}
