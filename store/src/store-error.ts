import { LifelineError } from "@lifeline/contracts";

export type StoreErrorCode = "STORE_QUERY_FAILED" | "STORE_INSERT_FAILED" | "STORE_MIGRATION_FAILED" | "STORE_CLOSED";

export class StoreError extends LifelineError {
  declare readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}
