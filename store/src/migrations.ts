import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { StoreError } from "./store-error.ts";

export interface Migration {
  version: number;
  name: string;
  statements: readonly string[];
}

/**
 * Versioned and append-only: a released migration is never edited, a new one is added.
 * Every statement is idempotent (IF NOT EXISTS) so a crash half-way through is safe to re-run.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "telemetry and quarantine",
    statements: [
      `CREATE TABLE IF NOT EXISTS telemetry (
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
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3) CODEC(DoubleDelta, ZSTD)
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(ts)
      ORDER BY (site, device, metric, ts)
      SETTINGS non_replicated_deduplication_window = 10000`,
      `CREATE TABLE IF NOT EXISTS quarantine (
        received_at DateTime64(3, 'UTC') DEFAULT now64(3),
        source LowCardinality(String),
        subject String,
        code LowCardinality(String),
        reason String,
        payload String CODEC(ZSTD),
        stream_seq UInt64
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(received_at)
      ORDER BY (received_at)
      SETTINGS non_replicated_deduplication_window = 10000`,
    ],
  },
];

/** Applies the migrations not yet recorded in `schema_migrations`, in order. Returns their versions. */
export async function migrate(
  driver: ClickHouseDriver,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  await driver.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
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
      for (const statement of m.statements) await driver.exec(statement);
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
