import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { migrate } from "./migrations.ts";
import { type BucketPoint, type RawPoint, type SeriesQuery, type SeriesResult, seriesSql } from "./series-query.ts";
import { type QuarantineRow, type TelemetryRow, toJsonEachRow } from "./telemetry-rows.ts";

/**
 * Lifeline's telemetry in ClickHouse. Writes carry an insert deduplication token so that a
 * batch written again after a crash (same token) is dropped by ClickHouse itself.
 */
export class TelemetryStore {
  readonly driver: ClickHouseDriver;

  private constructor(driver: ClickHouseDriver) {
    this.driver = driver;
  }

  /** Opens the store and applies pending migrations. */
  static async open(driver: ClickHouseDriver): Promise<TelemetryStore> {
    await migrate(driver);
    return new TelemetryStore(driver);
  }

  insertTelemetry(rows: readonly TelemetryRow[], dedupToken: string): Promise<number> {
    return this.#insert("telemetry", rows, dedupToken);
  }

  insertQuarantine(rows: readonly QuarantineRow[], dedupToken: string): Promise<number> {
    return this.#insert("quarantine", rows, dedupToken);
  }

  async #insert(table: string, rows: readonly object[], dedupToken: string): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.driver.insertJsonEachRow(table, toJsonEachRow(rows), {
      insert_deduplicate: 1,
      insert_deduplication_token: dedupToken,
    });
    return result.rowsWritten;
  }

  async series(q: SeriesQuery): Promise<SeriesResult> {
    const { sql, params } = seriesSql(q);
    type Row = { t: number | string; value: number; quality?: string; count?: number; unit: string };
    const rows = await this.driver.query<Row>(sql, params);
    const truncated = rows.length > q.limit;
    if (truncated) rows.length = q.limit;
    const unit = rows[0]?.unit ?? "";
    const points =
      q.stepMs === undefined
        ? rows.map((r): RawPoint => ({ ts: Number(r.t), value: r.value, quality: r.quality ?? "good" }))
        : rows.map((r): BucketPoint => ({ ts: Number(r.t), value: r.value, count: r.count ?? 0 }));
    return { unit, points, truncated };
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
