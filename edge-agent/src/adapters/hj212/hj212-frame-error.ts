import { LifelineError } from "@lifeline/contracts";

/** Every failure the HJ 212 adapter reports; the README explains each one. */
export const HJ212_ERROR_CODES = [
  "EDGE_HJ212_GARBAGE",
  "EDGE_HJ212_BAD_LENGTH",
  "EDGE_HJ212_TRUNCATED",
  "EDGE_HJ212_BAD_CRC",
  "EDGE_HJ212_BAD_FIELD",
  "EDGE_HJ212_UNSUPPORTED_VERSION",
  "EDGE_HJ212_BAD_CP",
  "EDGE_HJ212_ENCRYPTED",
  "EDGE_HJ212_BAD_DATATIME",
  "EDGE_HJ212_UNKNOWN_STATION",
  "EDGE_HJ212_BAD_PASSWORD",
  "EDGE_HJ212_UNSUPPORTED_COMMAND",
  "EDGE_HJ212_UNKNOWN_FACTOR",
  "EDGE_HJ212_BAD_VALUE",
  "EDGE_HJ212_TOO_MANY_CONNECTIONS",
  "EDGE_HJ212_LISTEN_FAILED",
] as const;
export type Hj212ErrorCode = (typeof HJ212_ERROR_CODES)[number];

/**
 * A frame (or a stretch of bytes) that could not be decoded. It knows no device: the receiver
 * wraps it in an `AdapterError` naming the device (or the receiver) and the peer.
 */
export class Hj212FrameError extends LifelineError {
  declare readonly code: Hj212ErrorCode;
  /** The MN of the frame, when it could be read even though the frame is bad. */
  readonly mn: string | undefined;

  constructor(code: Hj212ErrorCode, message: string, detail: Record<string, unknown> & { mn?: string } = {}) {
    super(code, message, { detail });
    this.mn = detail.mn;
  }
}
