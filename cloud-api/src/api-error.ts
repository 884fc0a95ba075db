import { LifelineError } from "@lifeline/contracts";

export type ApiErrorCode =
  | "API_BAD_PARAMETER"
  | "API_QUERY_REFUSED"
  | "API_QUERY_FAILED"
  | "API_LIMIT_EXCEEDED"
  | "API_BUSY"
  | "API_NOT_FOUND"
  | "API_CONFLICT"
  | "API_INTERNAL";

const STATUS: Record<ApiErrorCode, number> = {
  API_BAD_PARAMETER: 400,
  /** SQL that is not one read-only SELECT. */
  API_QUERY_REFUSED: 400,
  /** SQL ClickHouse could not run (syntax, unknown table or column, bad parameter type). */
  API_QUERY_FAILED: 400,
  /** A query that ran over its time, memory or result-row limit. */
  API_LIMIT_EXCEEDED: 422,
  /** As many SQL queries as allowed are running. */
  API_BUSY: 429,
  API_NOT_FOUND: 404,
  /** A change the resource's state does not allow (e.g. closing an alert nobody acknowledged). */
  API_CONFLICT: 409,
  API_INTERNAL: 500,
};

/** An error the API returns as `{ error: { code, message, parameter? } }` with its HTTP status. */
export class ApiError extends LifelineError {
  declare readonly code: ApiErrorCode;
  readonly statusCode: number;
  readonly parameter: string | undefined;

  constructor(code: ApiErrorCode, message: string, parameter?: string, cause?: unknown) {
    super(code, message, { cause, detail: parameter === undefined ? {} : { parameter } });
    this.statusCode = STATUS[code];
    this.parameter = parameter;
  }

  body(): { error: { code: ApiErrorCode; message: string; parameter?: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.parameter === undefined ? {} : { parameter: this.parameter }),
      },
    };
  }
}
