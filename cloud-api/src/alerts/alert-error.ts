import { LifelineError } from "@lifeline/contracts";

export type AlertErrorCode = "ALERT_NOT_FOUND" | "ALERT_INVALID_TRANSITION" | "ALERT_SERVICE_STOPPED";

/** A lifecycle command that cannot be applied: unknown alert, or not allowed in its state. */
export class AlertError extends LifelineError {
  declare readonly code: AlertErrorCode;

  constructor(code: AlertErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { detail });
  }
}
