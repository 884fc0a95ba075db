import { FRAME_START } from "./control-characters.ts";
import { describeFrameStart, frameLength, HEADER_LENGTH, parseFrame, type Sl651Frame } from "./frame-codec.ts";
import { hexOf } from "./hex.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

export type ReaderEvent = { kind: "frame"; frame: Sl651Frame } | { kind: "error"; error: Sl651CodecError };

const START_PAIR = Buffer.from([FRAME_START, FRAME_START]);
const GARBAGE_SHOWN = 16;

/**
 * Cuts a TCP byte stream into frames. A frame starts at 7E7E and its length follows from the
 * header; a candidate that fails (bad header, end character or CRC) is reported and the search
 * resumes at the next 7E7E after its first byte, so one bad frame never costs the next one.
 * Bytes outside frames are reported once per run. The buffer never holds more than one
 * incomplete frame (at most MAX_FRAME_LENGTH bytes) after a push.
 */
export class FrameReader {
  #buffer: Buffer = Buffer.alloc(0);
  #garbage = 0;
  #garbageHead: number[] = [];
  /** Bytes skipped after a rejected candidate belong to it: counted, not reported again. */
  #afterRejected = false;
  discardedBytes = 0;

  /** Bytes held back: the start of a frame whose rest has not arrived. */
  get pending(): number {
    return this.#buffer.length;
  }

  push(chunk: Uint8Array): ReaderEvent[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const events: ReaderEvent[] = [];
    this.#scan(events);
    return events;
  }

  /** The stream ended or stalled: whatever is held back is reported, the rest scanned again. */
  flush(why: string): ReaderEvent[] {
    const events: ReaderEvent[] = [];
    while (this.#buffer.length > 0) {
      const buffer = this.#buffer;
      if (buffer.length >= 2 && buffer[0] === FRAME_START && buffer[1] === FRAME_START) {
        this.#reportGarbage(events);
        events.push({ kind: "error", error: truncated(buffer, why) });
        this.#afterRejected = true;
        this.#buffer = buffer.subarray(1);
      } else {
        this.#discard(1);
        this.#buffer = buffer.subarray(1);
      }
      this.#scan(events);
    }
    this.#reportGarbage(events);
    return events;
  }

  #scan(events: ReaderEvent[]): void {
    const buffer = this.#buffer;
    let pos = 0;
    for (;;) {
      const at = buffer.indexOf(START_PAIR, pos);
      if (at < 0) {
        const keep =
          buffer.length > pos && buffer[buffer.length - 1] === FRAME_START ? buffer.length - 1 : buffer.length;
        this.#discardRange(buffer, pos, keep);
        pos = keep;
        break;
      }
      this.#discardRange(buffer, pos, at);
      pos = at;
      if (buffer.length - pos < HEADER_LENGTH) break;
      const step = this.#candidate(buffer, pos, events);
      if (step === 0) break;
      pos += step;
    }
    this.#buffer = pos === 0 ? buffer : Buffer.from(buffer.subarray(pos));
  }

  /** Tries a frame at `pos`; returns how far to advance (0: wait for more bytes). */
  #candidate(buffer: Buffer, pos: number, events: ReaderEvent[]): number {
    let length: number;
    try {
      length = frameLength(buffer, pos);
    } catch (error) {
      // 7E 7E 7E: a stray 7E (some DTUs append one) right before a real frame start.
      if (buffer[pos + 2] === FRAME_START) {
        this.#discardRange(buffer, pos, pos + 1);
        return 1;
      }
      return this.#reject(error, events);
    }
    if (buffer.length - pos < length) return 0;
    try {
      const frame = parseFrame(buffer.subarray(pos, pos + length));
      this.#reportGarbage(events);
      this.#afterRejected = false;
      events.push({ kind: "frame", frame });
      return length;
    } catch (error) {
      return this.#reject(error, events);
    }
  }

  #reject(error: unknown, events: ReaderEvent[]): number {
    this.#reportGarbage(events);
    events.push({ kind: "error", error: error as Sl651CodecError });
    this.#afterRejected = true;
    this.discardedBytes += 1;
    return 1;
  }

  #discardRange(buffer: Buffer, from: number, to: number): void {
    if (to <= from) return;
    if (!this.#afterRejected) {
      for (let i = from; i < to && this.#garbageHead.length < GARBAGE_SHOWN; i++) {
        this.#garbageHead.push(buffer[i] as number);
      }
      this.#garbage += to - from;
    }
    this.discardedBytes += to - from;
  }

  #discard(count: number): void {
    this.#discardRange(this.#buffer, 0, count);
  }

  #reportGarbage(events: ReaderEvent[]): void {
    if (this.#garbage === 0) return;
    const shown = hexOf(Uint8Array.from(this.#garbageHead));
    const more = this.#garbage > this.#garbageHead.length ? "…" : "";
    events.push({
      kind: "error",
      error: new Sl651CodecError(
        "EDGE_SL651_NOT_A_FRAME",
        `discarded ${this.#garbage} byte${this.#garbage === 1 ? "" : "s"} outside any frame (no 7E7E start): ${shown}${more}`,
        { bytes: this.#garbage },
      ),
    });
    this.#garbage = 0;
    this.#garbageHead = [];
  }
}

function truncated(buffer: Buffer, why: string): Sl651CodecError {
  const who = describeFrameStart(buffer, 0);
  if (buffer.length < HEADER_LENGTH) {
    return new Sl651CodecError(
      "EDGE_SL651_TRUNCATED_FRAME",
      `${who}: only ${buffer.length} of at least ${HEADER_LENGTH} header bytes arrived before ${why}`,
      { received: buffer.length },
    );
  }
  const length = frameLength(buffer, 0);
  return new Sl651CodecError(
    "EDGE_SL651_TRUNCATED_FRAME",
    `${who}: only ${buffer.length} of ${length} bytes arrived before ${why}`,
    { received: buffer.length, length },
  );
}
