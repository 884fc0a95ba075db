import { LifelineError } from "@lifeline/contracts";

export type StoreErrorCode =
  | "STORE_QUERY_FAILED"
  | "STORE_INSERT_FAILED"
  | "STORE_MIGRATION_FAILED"
  | "STORE_CLOSED"
  /** A ClickHouse server URL that cannot be used (not http(s), not one database in the path). */
  | "STORE_URL_INVALID";

export class StoreError extends LifelineError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}
