import { LifelineError } from "./lifeline-error.ts";

export type EnvelopeErrorCode =
  | "CONTRACT_ENVELOPE_TOO_LARGE"
  | "CONTRACT_MALFORMED_JSON"
  | "CONTRACT_MALFORMED_BINARY"
  | "CONTRACT_UNSUPPORTED_VERSION"
  | "CONTRACT_INVALID_ENVELOPE";

/** One problem found in an envelope: where (`readings[2].ts`) and why. */
export interface EnvelopeIssue {
  path: string;
  message: string;
}

export class EnvelopeError extends LifelineError {
  declare readonly code: EnvelopeErrorCode;
  readonly issues: readonly EnvelopeIssue[];

  constructor(code: EnvelopeErrorCode, message: string, issues: EnvelopeIssue[] = [], cause?: unknown) {
    super(code, message, { cause, detail: { issues } });
    this.issues = issues;
  }
}
