export { ChdbDriver } from "./chdb-driver.ts";
export type { ClickHouseDriver } from "./clickhouse-driver.ts";
export { MIGRATIONS, type Migration, migrate } from "./migrations.ts";
export { type SequenceGap, type SequenceGapQuery, sequenceGapsSql } from "./sequence-gaps.ts";
export {
  AGGREGATES,
  type Aggregate,
  type BucketPoint,
  type RawPoint,
  type SeriesQuery,
  type SeriesResult,
  seriesSql,
} from "./series-query.ts";
export { StoreError, type StoreErrorCode } from "./store-error.ts";
export {
  envelopeRows,
  escapeTsv,
  type QuarantineRow,
  TELEMETRY_COLUMNS,
  type TelemetryRow,
  TelemetryTsv,
  toJsonEachRow,
  toTabSeparated,
} from "./telemetry-rows.ts";
export { identityOf, TelemetryStore } from "./telemetry-store.ts";
