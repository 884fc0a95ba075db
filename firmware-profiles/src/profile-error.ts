import { LifelineError } from "@lifeline/contracts";

export type ProfileErrorCode =
  | "PROFILE_INVALID"
  | "PROFILE_CANONICAL_INVALID"
  | "PROFILE_KEY_INVALID"
  | "PROFILE_KEY_UNTRUSTED"
  | "PROFILE_SIGNATURE_INVALID";

/** A profile tool refused its input: the code says which way, the message names what. */
export class ProfileError extends LifelineError {
  declare readonly code: ProfileErrorCode;

  constructor(
    code: ProfileErrorCode,
    message: string,
    options: { cause?: unknown; detail?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }
}
