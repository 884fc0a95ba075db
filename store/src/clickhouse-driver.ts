/**
 * The small surface the rest of Lifeline needs from ClickHouse. Two drivers implement it with the
 * same SQL: embedded `chdb` (default, in-process) and, later, `@clickhouse/client` over HTTP.
 * Parameters use ClickHouse's server-side binding (`{name:Type}`), never string interpolation.
 */
export interface ClickHouseDriver {
  /** Runs a statement that returns nothing useful (DDL, INSERT … SELECT). */
  exec(sql: string, params?: Record<string, unknown>): Promise<void>;
  /** Runs a query and returns its rows (JSONEachRow). */
  query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]>;
  /**
   * Runs a query and returns its whole answer as text in `format` (e.g. TabSeparated): for answers
   * of bounded size that are parsed faster than JSON rows (a chart's 72,000 buckets).
   */
  queryText(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<string>;
  /**
   * Runs a query and returns its whole answer as bytes in `format`: for binary formats (`Native`,
   * read by `decodeNative`), where no value is printed as text and parsed again.
   */
  queryBytes(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<Uint8Array>;
  /** Inserts newline-delimited JSON rows; `settings` carry e.g. the deduplication token. */
  insertJsonEachRow(
    table: string,
    rows: Buffer,
    settings?: Record<string, string | number>,
  ): Promise<{ rowsWritten: number }>;
  /**
   * Inserts TabSeparated rows into the given columns, in order (2–3× faster for ClickHouse to
   * parse than JSON; telemetry written down by earlier versions).
   */
  insertTabSeparated(
    table: string,
    columns: readonly string[],
    rows: Buffer,
    settings?: Record<string, string | number>,
  ): Promise<{ rowsWritten: number }>;
  /**
   * Inserts rows in `RowBinaryWithNamesAndTypes`, whose header names the columns they fill and
   * their types: values travel as bytes, nothing is printed and parsed again (the hot path of
   * telemetry, see {@link TelemetryRowBinary}). `onDisk`, when given, is a file that holds exactly
   * these bytes (the stream processor writes each insert down before sending it): a driver that
   * reads inserts from files may read that one instead of writing the bytes again.
   */
  insertRowBinary(
    table: string,
    rows: Buffer,
    settings?: Record<string, string | number>,
    onDisk?: string,
  ): Promise<void>;
  /**
   * Inserts one or more blocks of ClickHouse's `Native` format (each names and types its columns;
   * telemetry, see `TelemetryNative`): read column by column, a third of RowBinary's CPU in
   * chdb. `onDisk` as for {@link insertRowBinary}. `columns`, when the caller built the block and
   * knows them, spares reading them from it (its string columns are stepped over value by value).
   */
  insertNative(
    table: string,
    rows: Buffer,
    settings?: Record<string, string | number>,
    onDisk?: string,
    columns?: readonly string[],
  ): Promise<void>;
  /**
   * Streams a query's result as bytes in `format` (CSV, TabSeparated, JSONEachRow, Parquet, …)
   * without holding it in memory: exports of millions of rows. The consumer's pace is the query's
   * pace (the next chunk is read when the previous one was taken). A single statement only.
   * Aborting `signal` stops the query.
   */
  queryStream(
    sql: string,
    params: Record<string, unknown> | undefined,
    format: string,
    signal?: AbortSignal,
  ): AsyncIterable<Uint8Array>;
  close(): Promise<void>;
}
