import { LifelineError } from "@lifeline/contracts";
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from "./record-frame.ts";

/** Every failure of the store-and-forward journal; the journal README lists what each means. */
export type JournalErrorCode =
  | "EDGE_JOURNAL_LOCKED"
  | "EDGE_JOURNAL_RECORD_TOO_LARGE"
  | "EDGE_JOURNAL_CLOSED"
  | "EDGE_JOURNAL_BAD_OPTIONS"
  | "EDGE_JOURNAL_CORRUPT"
  | "EDGE_JOURNAL_UNSUPPORTED_FORMAT"
  | "EDGE_JOURNAL_IO";

/** A journal failure, naming the journal directory (and the file, where there is one). */
export class JournalError extends LifelineError {
  declare readonly code: JournalErrorCode;
  readonly dir: string;

  constructor(
    code: JournalErrorCode,
    message: string,
    where: { dir: string; detail?: Record<string, unknown> },
    cause?: unknown,
  ) {
    super(code, `journal ${where.dir}: ${message}`, { cause, detail: { dir: where.dir, ...where.detail } });
    this.dir = where.dir;
  }
}

/** EDGE_JOURNAL_RECORD_TOO_LARGE for the first payload that cannot fit in an empty segment. */
export function tooLarge(
  payloads: Uint8Array[],
  where: { dir: string; segmentBytes: number },
): JournalError | undefined {
  const room = where.segmentBytes - SEGMENT_HEADER_BYTES - FRAME_HEADER_BYTES;
  const big = payloads.find((p) => p.length > room);
  if (big === undefined) return undefined;
  return new JournalError(
    "EDGE_JOURNAL_RECORD_TOO_LARGE",
    `a payload of ${big.length} bytes does not fit in a segment (at most ${room} bytes)`,
    { dir: where.dir, detail: { bytes: big.length, maxBytes: room } },
  );
}
