import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { type DdlContext, localTable, onCluster } from "./ddl-context.ts";

/** Days to keep each kind of data; undefined keeps it for ever. */
export interface Retention {
  rawDays?: number | undefined;
  minuteDays?: number | undefined;
  hourDays?: number | undefined;
}

const TABLES = [
  { table: "telemetry", key: "rawDays", time: "toDateTime(ts)" },
  { table: "telemetry_1m", key: "minuteDays", time: "bucket" },
  { table: "telemetry_1h", key: "hourDays", time: "bucket" },
] as const;

/**
 * Sets each table's TTL to the configured retention, only where it differs from what the table
 * has. Parts are not rewritten at once (`materialize_ttl_after_modify = 0`): expired rows go at
 * the parts' next merge, so starting a service on a large table does not turn into hours of I/O.
 */
export async function applyRetention(
  driver: ClickHouseDriver,
  retention: Retention,
  ctx: DdlContext = {},
): Promise<string[]> {
  const changed: string[] = [];
  for (const { table, key, time } of TABLES) {
    const days = retention[key];
    if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
      throw new RangeError(`retention ${key}: expected a whole number of days, got ${days}`);
    }
    const local = localTable(table, ctx);
    const [row] = await driver.query<{ engine_full: string }>(
      "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = {t:String}",
      { t: local },
    );
    const current = /\bTTL (.*?)(?: SETTINGS |$)/.exec(row?.engine_full ?? "")?.[1]?.trim();
    const wanted = days === undefined ? undefined : `${time} + toIntervalDay(${days})`;
    if (current === wanted) continue;
    await driver.exec(
      wanted === undefined
        ? `ALTER TABLE ${local}${onCluster(ctx)} REMOVE TTL`
        : `ALTER TABLE ${local}${onCluster(ctx)} MODIFY TTL ${wanted} SETTINGS materialize_ttl_after_modify = 0`,
    );
    changed.push(table);
  }
  return changed;
}
