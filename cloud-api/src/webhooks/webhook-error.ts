import { LifelineError } from "@lifeline/contracts";

export type WebhookErrorCode =
  /** A subscriber that does not pass its schema (given to the registry, or found in the bucket). */
  | "WEBHOOK_SUBSCRIBER_INVALID"
  | "WEBHOOK_SUBSCRIBER_NOT_FOUND"
  | "WEBHOOK_DEAD_LETTER_NOT_FOUND"
  /** The registry lost a race for the same subscriber several times in a row. */
  | "WEBHOOK_REGISTRY_CONFLICT";

/** A failure of the webhook registry, dead letters or dispatcher, with the subscriber it concerns. */
export class WebhookError extends LifelineError {
  declare readonly code: WebhookErrorCode;

  constructor(code: WebhookErrorCode, message: string, detail: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { detail, cause });
  }
}
