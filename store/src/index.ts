export { type AlertQuery, type AlertSilence, AlertStore, type StoredAlertEvent } from "./alert-store.ts";
export {
  type CatalogueQuery,
  type CatalogueSeries,
  type DeviceInfo,
  listCatalogue,
  putDevice,
} from "./catalogue.ts";
export { ChdbDriver } from "./chdb-driver.ts";
export type { ClickHouseDriver } from "./clickhouse-driver.ts";
export { ClickHouseHttpDriver, type ClickHouseHttpOptions } from "./clickhouse-http-driver.ts";
export { createTable, createView, type DdlContext, localTable, onCluster, type TableDdl } from "./ddl-context.ts";
export { bucketCount, FILL_MODES, type FillMode, fillGaps, MAX_FILLED_BUCKETS } from "./gap-fill.ts";
export { insertRefusal } from "./insert-refusal.ts";
export {
  type InsertRepair,
  type InsertRows,
  REPAIRED_TABLES,
  type RepairedTable,
  repairInsert,
} from "./insert-repair.ts";
export { MIGRATIONS, type Migration, migrate } from "./migrations.ts";
export { type DictionaryColumn, decodeNative, type NativeColumn, toDictionaryColumn } from "./native-format.ts";
export { driverFromEnv, type OpenDriverOptions, openDriver } from "./open-driver.ts";
export {
  AGGREGATES,
  type Aggregate,
  HOUR_MS,
  MINUTE_MS,
  planRollup,
  type RollupPlan,
  type SeriesSelector,
} from "./rollup-plan.ts";
export { type SequenceGap, type SequenceGapQuery, sequenceGapsSql } from "./sequence-gaps.ts";
export { type GridSeries, type SeriesGridResult, seriesGrid } from "./series-grid.ts";
export {
  type BucketPoint,
  querySeries,
  querySeriesColumns,
  type RawPoint,
  type Series,
  type SeriesColumns,
  type SeriesColumnsResult,
  type SeriesQuery,
  type SeriesResult,
  seriesToColumns,
} from "./series-query.ts";
export { type SeriesSqlOptions, seriesSql } from "./series-sql.ts";
export { StoreError, type StoreErrorCode } from "./store-error.ts";
export { type ExportFormat, type ExportQuery, exportSql } from "./telemetry-export.ts";
export { nativeColumns, TELEMETRY_NATIVE_COLUMNS, TelemetryNative } from "./telemetry-native.ts";
export { rowBinaryColumns, TELEMETRY_ROW_BINARY_COLUMNS, TelemetryRowBinary } from "./telemetry-row-binary.ts";
export {
  envelopeRows,
  escapeTsv,
  type QuarantineRow,
  TELEMETRY_COLUMNS,
  type TelemetryRow,
  toJsonEachRow,
  toTabSeparated,
} from "./telemetry-rows.ts";
export { identityOf, type Retention, type StoreOptions, TelemetryStore } from "./telemetry-store.ts";
export { queryTop, type TopEntry, type TopQuery } from "./top-query.ts";
