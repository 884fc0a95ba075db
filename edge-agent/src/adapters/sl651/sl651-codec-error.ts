import { LifelineError } from "@lifeline/contracts";

/** Every failure the SL 651 receiver reports; the README lists what each one means. */
export const SL651_ERROR_CODES = [
  "EDGE_SL651_BAD_CRC",
  "EDGE_SL651_BAD_LENGTH",
  "EDGE_SL651_BAD_FRAME",
  "EDGE_SL651_TRUNCATED_FRAME",
  "EDGE_SL651_NOT_A_FRAME",
  "EDGE_SL651_BAD_BCD",
  "EDGE_SL651_BAD_TIME",
  "EDGE_SL651_BAD_ELEMENT",
  "EDGE_SL651_UNKNOWN_STATION",
  "EDGE_SL651_BAD_PASSWORD",
  "EDGE_SL651_UNKNOWN_ELEMENT",
  "EDGE_SL651_UNSUPPORTED_FUNCTION",
  "EDGE_SL651_INCOMPLETE_MESSAGE",
  "EDGE_SL651_MESSAGE_TOO_LARGE",
  "EDGE_SL651_TOO_MANY_CONNECTIONS",
  "EDGE_SL651_LISTEN_FAILED",
] as const;

export type Sl651ErrorCode = (typeof SL651_ERROR_CODES)[number];

/**
 * A frame or body the codec refused, before the receiver knows which device it belongs to.
 * `detail` carries what a field engineer needs to find the fault (offsets, expected/actual).
 */
export class Sl651CodecError extends LifelineError {
  declare readonly code: Sl651ErrorCode;

  constructor(code: Sl651ErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { detail });
  }
}
