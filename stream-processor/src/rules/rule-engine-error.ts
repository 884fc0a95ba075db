import { LifelineError } from "@lifeline/contracts";

export type RuleEngineErrorCode = "STREAM_RULES_DUPLICATE_ID" | "STREAM_RULES_STATE_VERSION";

/** Rules the engine cannot run together (two with one id), or a snapshot it cannot read. */
export class RuleEngineError extends LifelineError {
  declare readonly code: RuleEngineErrorCode;

  constructor(code: RuleEngineErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { detail });
  }
}
