import { LifelineError } from "@lifeline/contracts";

export type StoreErrorCode =
  | "STORE_QUERY_FAILED"
  | "STORE_INSERT_FAILED"
  | "STORE_MIGRATION_FAILED"
  | "STORE_CLOSED"
  /** A ClickHouse server URL that cannot be used (not http(s), not one database in the path). */
  | "STORE_URL_INVALID"
  /** A Native answer with a column type the reader does not know. */
  | "STORE_NATIVE_UNSUPPORTED"
  /** A Native answer that ends in the middle of a value. */
  | "STORE_NATIVE_TRUNCATED"
  /** A RowBinary batch whose header does not say what its columns are. */
  | "STORE_ROWBINARY_MALFORMED"
  /** A Native block to insert that does not say what its columns are, or ends before they do. */
  | "STORE_NATIVE_MALFORMED"
  /** Series on one time axis would make more cells than the answer's limit (`seriesGrid`). */
  | "STORE_GRID_TOO_LARGE";

export class StoreError extends LifelineError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}
