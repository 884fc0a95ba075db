import { StoreError } from "./store-error.ts";

/**
 * ClickHouse error codes (src/Common/ErrorCodes.cpp) that mean an insert's rows cannot be read as
 * the table's columns: sending the same bytes again can only fail again.
 */
const DATA_REFUSED = new Map<number, string>([
  [6, "CANNOT_PARSE_TEXT"],
  [16, "NO_SUCH_COLUMN_IN_TABLE"],
  [26, "CANNOT_PARSE_QUOTED_STRING"],
  [27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED"],
  [33, "CANNOT_READ_ALL_DATA"],
  [38, "CANNOT_PARSE_DATE"],
  [41, "CANNOT_PARSE_DATETIME"],
  [53, "TYPE_MISMATCH"],
  [70, "CANNOT_CONVERT_TYPE"],
  [72, "CANNOT_PARSE_NUMBER"],
  [117, "INCORRECT_DATA"],
  [131, "TOO_LARGE_STRING_SIZE"],
  // A CHECK constraint on the table (an operator's plausibility limit, say) that a row breaks.
  [469, "VIOLATED_CONSTRAINT"],
]);

/**
 * Why an insert failed for good, when it did: its rows do not parse, do not fit the table's
 * columns (a malformed RowBinary header or Native block included), or break one of its constraints. Undefined for
 * anything that may pass when sent again (ClickHouse gone, a timeout, too many parts). Both
 * drivers put ClickHouse's `Code: N` in their messages.
 */
export function insertRefusal(error: unknown): string | undefined {
  if (!(error instanceof StoreError) || error.code !== "STORE_INSERT_FAILED") return undefined;
  const malformed = ["STORE_ROWBINARY_MALFORMED", "STORE_NATIVE_MALFORMED"];
  if (error.cause instanceof StoreError && malformed.includes(error.cause.code)) return error.message;
  const code = /Code: (\d+)\./.exec(error.message)?.[1];
  return code !== undefined && DATA_REFUSED.has(Number(code)) ? error.message : undefined;
}
