import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { MINUTE_ROLLUP } from "./migrations.ts";
import { StoreError } from "./store-error.ts";
import { TELEMETRY_COLUMNS } from "./telemetry-rows.ts";

/** The rows of one telemetry insert, as the stream processor wrote them down before sending it. */
export type InsertRows =
  | { format: "Native"; bytes: Buffer }
  /** `RowBinaryWithNamesAndTypes`, as versions before 2026-12-02 wrote them. */
  | { format: "RowBinary"; bytes: Buffer }
  /** TabSeparated in `columns` order (default {@link TELEMETRY_COLUMNS}), as earlier versions wrote them. */
  | { format: "TabSeparated"; bytes: Buffer; columns?: readonly string[] | undefined };

/** The tables an insert reaches, in the order each one's contribution is checked. */
export const REPAIRED_TABLES = ["telemetry", "telemetry_1m", "telemetry_1h", "series_index"] as const;
export type RepairedTable = (typeof REPAIRED_TABLES)[number];

export interface InsertRepair {
  /**
   * Readings of the insert found missing from each table and added back: raw rows, and readings
   * whose share of a rollup bucket (or of a series' index row) was missing.
   */
  added: Record<RepairedTable, number>;
  /**
   * Rollup buckets (and index rows) short by something other than this insert's share: not
   * touched, for a person to look at — they cannot come from a cut-off insert of this processor.
   */
  unexplained: number;
}

/** Scratch tables, dropped when the repair ends. */
const BATCH = "_lifeline_repair_batch";
const PART = "_lifeline_repair_part";

const ROLLUP_COLUMNS =
  "site, device, metric, bucket, gateway, unit, samples, value_sum, value_min, value_max, value_first, value_last, last_ts, value_quantiles";

/**
 * One rollup level: how a reading's key is made, what the level is checked against (the table it
 * is fed from, whose counts are already right) and what its share of an insert is.
 */
interface Level {
  table: RepairedTable;
  /** The key's last column from a raw reading (`ts`), or none for the series index. */
  key: string | undefined;
  /** The fed-from table, its count, its key from its own columns, and the part of it to read. */
  base: { table: string; count: string; key: string | undefined; scope: string };
  /** The rollup's count of readings. */
  count: string;
  /** The insert's share, from its raw rows: `INSERT INTO {table} ({columns}) {select}`. */
  columns: string;
  select: string;
}

const DEVICES = `device IN (SELECT DISTINCT device FROM ${BATCH})`;

const LEVELS: readonly Level[] = [
  {
    table: "telemetry_1m",
    key: "toStartOfMinute(ts)",
    base: {
      table: "telemetry",
      count: "count()",
      key: "toStartOfMinute(ts)",
      scope: `quality != 'bad' AND ${DEVICES}
        AND ts >= (SELECT toStartOfMinute(min(ts)) FROM ${BATCH})
        AND ts < (SELECT toStartOfMinute(max(ts)) + INTERVAL 1 MINUTE FROM ${BATCH})`,
    },
    count: "sum(samples)",
    columns: ROLLUP_COLUMNS,
    select: MINUTE_ROLLUP.replace("{from}", BATCH),
  },
  {
    table: "telemetry_1h",
    key: "toStartOfHour(ts)",
    base: {
      table: "telemetry_1m",
      count: "sum(samples)",
      key: "toStartOfHour(bucket)",
      scope: `${DEVICES}
        AND bucket >= (SELECT toStartOfHour(min(ts)) FROM ${BATCH})
        AND bucket < (SELECT toStartOfHour(max(ts)) + INTERVAL 1 HOUR FROM ${BATCH})`,
    },
    count: "sum(samples)",
    columns: ROLLUP_COLUMNS,
    // The hours straight from raw rows: the same states the chain through the minutes merges to.
    select: MINUTE_ROLLUP.replace("{from}", BATCH).replace(
      "toStartOfMinute(ts) AS bucket",
      "toStartOfHour(ts) AS bucket",
    ),
  },
  {
    table: "series_index",
    key: undefined,
    base: { table: "telemetry_1h", count: "sum(samples)", key: undefined, scope: DEVICES },
    count: "sum(samples)",
    columns: "site, device, metric, gateway, unit, first_ts, last_ts, last_value, samples",
    select: `SELECT site, device, metric, anyLast(gateway) AS gateway, anyLast(unit) AS unit,
        toDateTime64(min(toStartOfMinute(ts)), 3, 'UTC') AS first_ts, max(ts) AS last_ts,
        argMaxState(value, ts) AS last_value, count() AS samples
      FROM ${BATCH} WHERE quality != 'bad' GROUP BY site, device, metric`,
  },
];

/**
 * Completes a telemetry insert that may have been cut off — from nothing stored to all of it, and
 * anything between — by finding what each table lacks of it and adding exactly that, on a single
 * server (embedded chdb, or one ClickHouse server). What the stream processor does with an insert it
 * wrote down and did not see return (`PendingInserts`), instead of sending it again under its token.
 *
 * Why not the token: a `MergeTree` with a deduplication window writes the block's entry to its
 * deduplication log, then renames the part into place (`MergeTreeDeduplicationLog::addPart` writes
 * the record, then `MergeTreeData::renameTempPartAndReplace` renames; seen in that order with
 * strace). A process killed between the two leaves a table that says it has the block and does not:
 * the insert sent again under its token is dropped there. Each table of the chain (raw; the 1-minute
 * rollup; fed from the minutes, the series index and the 1-hour rollup — committed in that order)
 * keeps its own log, so any one of them can be left short while the others are whole — seen once in
 * the chaos suite: the minutes 280 readings short, raw and hours whole. The log is also written
 * without fsync (only when it rotates): after a power cut it can miss the entry of a part that is on
 * disk, and a resend under the token would then store the block twice. Counting what is stored
 * relies on neither. (Replicated tables commit the block's id and the part together in Keeper; a
 * cluster sends the insert again under its token — see `TelemetryStore.completeInsert`.)
 *
 * How:
 * 1. raw: its readings not stored, by identity (site, gateway, boot, seq, idx);
 * 2. each rollup, then the index, in chain order: for every bucket the insert touches, the count the
 *    table it is fed from has (raw for the minutes, the minutes for the hours, the hours for the
 *    index — each checked and completed just before) against its own. A bucket short by exactly the
 *    insert's share lacks that share; anything else short is not this insert's doing and is only
 *    reported (`unexplained`).
 *
 * What is missing is built in a scratch table with the target's structure and moved in with
 * `ATTACH PARTITION … FROM`: parts attached this way do not go through the materialized views, so
 * completing raw or the minutes does not count the insert a second time in the tables fed from them.
 * Counting from what is stored makes it safe to cut off and run again: it finds only what is still
 * missing. It assumes this processor is the only writer of the series the insert touches while it
 * runs (a second writer's insert in flight would read as unexplained). A retention that has already
 * dropped part of the fed-from table for a bucket makes the bucket look over-full, not short: it is
 * left alone — in particular the series index, checked against the hours over all time, is
 * completed only while the hours are kept for ever (the default).
 */
export async function repairInsert(driver: ClickHouseDriver, rows: InsertRows): Promise<InsertRepair> {
  const added: Record<RepairedTable, number> = { telemetry: 0, telemetry_1m: 0, telemetry_1h: 0, series_index: 0 };
  let unexplained = 0;
  await dropScratch(driver);
  try {
    await driver.exec(`CREATE TABLE ${BATCH} AS telemetry`);
    const plain = { insert_deduplicate: 0 };
    try {
      if (rows.format === "Native") await driver.insertNative(BATCH, rows.bytes, plain);
      else if (rows.format === "RowBinary") await driver.insertRowBinary(BATCH, rows.bytes, plain);
      else await driver.insertTabSeparated(BATCH, rows.columns ?? TELEMETRY_COLUMNS, rows.bytes, plain);
    } catch (error) {
      // Rows that do not parse or fit fail here, as they would inserted into telemetry: said so,
      // with the same code and cause (what `insertRefusal` reads), not in the scratch table's name.
      if (!(error instanceof StoreError)) throw error;
      const message = error.message.replace(`insert into ${BATCH} failed`, "insert into telemetry failed");
      throw new StoreError(error.code, message, error.cause);
    }

    const identity = "(site, gateway, boot_id, seq, idx)";
    added.telemetry = await attachMissing(
      driver,
      "telemetry",
      `SELECT * FROM ${BATCH} WHERE ${identity} NOT IN (
        SELECT ${identity} FROM telemetry WHERE ${DEVICES}
          AND ts >= (SELECT min(ts) FROM ${BATCH}) AND ts <= (SELECT max(ts) FROM ${BATCH}))`,
    );
    for (const level of LEVELS) {
      const check = checkSql(level);
      const [summary] = await driver.query<{ readings: string; unexplained: string }>(
        `SELECT sumIf(n, gap = n) AS readings, countIf(gap > 0 AND gap != n) AS unexplained FROM (${check})`,
      );
      unexplained += Number(summary?.unexplained ?? 0);
      if (Number(summary?.readings ?? 0) === 0) continue;
      const keyColumns = level.key === undefined ? "(site, device, metric)" : `(site, device, metric, ${level.key})`;
      const keySelect = level.key === undefined ? "site, device, metric" : "site, device, metric, bucket";
      const share = level.select.replace(
        "WHERE quality != 'bad'",
        `WHERE quality != 'bad' AND ${keyColumns} IN (SELECT ${keySelect} FROM (${check}) WHERE gap = n)`,
      );
      await attachMissing(driver, level.table, share, level.columns);
      added[level.table] = Number(summary?.readings ?? 0);
    }
    return { added, unexplained };
  } finally {
    await dropScratch(driver);
  }
}

/**
 * Per key of the insert (series, and bucket where the level has one): the insert's share `n`, and
 * `gap`, how many readings the level has fewer than the table it is fed from (negative when more).
 */
function checkSql(level: Level): string {
  const keys = level.key === undefined ? "site, device, metric" : "site, device, metric, bucket";
  const batchKey = level.key === undefined ? "" : `, ${level.key} AS bucket`;
  const baseKey = level.base.key === undefined ? "" : `, ${level.base.key} AS bucket`;
  const inBatch = `(${keys}) IN (SELECT ${keys} FROM batch)`;
  return `WITH batch AS (
      SELECT site, device, metric${batchKey}, count() AS n FROM ${BATCH} WHERE quality != 'bad' GROUP BY ${keys}
    )
    SELECT ${keys}, toInt64(b.n) AS n, toInt64(base.n) - toInt64(r.n) AS gap
    FROM batch AS b
    LEFT JOIN (
      SELECT site, device, metric${baseKey}, ${level.base.count} AS n FROM ${level.base.table}
      WHERE ${level.base.scope} GROUP BY ${keys} HAVING ${inBatch}
    ) AS base USING (${keys})
    LEFT JOIN (
      SELECT ${keys}, ${level.count} AS n FROM ${level.table} WHERE ${inBatch} GROUP BY ${keys}
    ) AS r USING (${keys})`;
}

/**
 * Writes `select`'s rows into a scratch table shaped like `table` and attaches its partitions to
 * `table` (no materialized view sees them). Returns the rows attached.
 */
async function attachMissing(
  driver: ClickHouseDriver,
  table: RepairedTable,
  select: string,
  columns?: string,
): Promise<number> {
  await driver.exec(`DROP TABLE IF EXISTS ${PART} SYNC`);
  await driver.exec(`CREATE TABLE ${PART} AS ${table}`);
  await driver.exec(
    `INSERT INTO ${PART} ${columns === undefined ? "" : `(${columns})`} SETTINGS insert_deduplicate = 0 ${select}`,
  );
  const [counted] = await driver.query<{ n: string }>(`SELECT count() AS n FROM ${PART}`);
  const partitions = await driver.query<{ partition_id: string }>(
    `SELECT DISTINCT partition_id FROM system.parts WHERE database = currentDatabase() AND table = '${PART}' AND active`,
  );
  for (const { partition_id } of partitions) {
    // A partition id is digits (a month, a year) or `all`; ALTER takes no query parameter for it.
    if (!/^\w+$/.test(partition_id)) throw new RangeError(`unexpected partition id ${partition_id} in ${table}`);
    await driver.exec(`ALTER TABLE ${table} ATTACH PARTITION ID '${partition_id}' FROM ${PART}`);
  }
  return Number(counted?.n ?? 0);
}

async function dropScratch(driver: ClickHouseDriver): Promise<void> {
  for (const t of [BATCH, PART]) await driver.exec(`DROP TABLE IF EXISTS ${t} SYNC`);
}
