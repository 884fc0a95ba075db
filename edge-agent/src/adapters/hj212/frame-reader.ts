import { mnOf } from "./data-segment.ts";
import { FRAME_OVERHEAD, MAX_SEGMENT_LENGTH } from "./frame-codec.ts";
import { Hj212FrameError } from "./hj212-frame-error.ts";
import { printable } from "./printable.ts";

/** A whole frame (a view of the pushed bytes: read it before the next push), or what was wrong. */
export type FrameEvent = { kind: "frame"; bytes: Buffer } | { kind: "error"; error: Hj212FrameError };

const HASHES = Buffer.from("##");
const CRLF = Buffer.from("\r\n");
const EMPTY = Buffer.alloc(0);

/**
 * Cuts a TCP byte stream into frames (HJ 212-2017 §6.3.1: `##` + 4-digit length + segment +
 * CRC + CR LF). A frame may arrive in pieces, and one chunk may hold several frames. Bytes outside
 * a frame are skipped up to the next `##` and reported; a frame whose length field does not fit
 * (no CR LF where it puts the end, or a CR LF before it) is reported and the reader resynchronises
 * on the next `##`.
 *
 * Memory stays bounded: junk is dropped as it comes (and reported once per `maxGarbageBytes`), so at
 * most one incomplete frame is kept, at most 6 + 9999 + 6 bytes.
 */
export class FrameReader {
  readonly maxGarbageBytes: number;
  #pending: Buffer = EMPTY;
  /** Inside a frame already reported bad: drop up to its CR LF or the next `##` without reporting again. */
  #discarding = false;
  #garbage = 0;
  #garbageSample = "";

  constructor(options: { maxGarbageBytes?: number } = {}) {
    this.maxGarbageBytes = options.maxGarbageBytes ?? 16_384;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    const buf =
      this.#pending.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) // a view: frames are read before the next chunk
        : Buffer.concat([this.#pending, chunk]);
    let pos = 0;
    while (pos < buf.length) {
      pos = this.#discarding ? this.#discard(buf, pos) : this.#step(buf, pos, events);
      if (pos < 0) {
        pos = -pos - 1; // a negative position means "wait for more bytes from here"
        break;
      }
    }
    // Copy: a slice would pin the whole (possibly large) chunk in memory.
    this.#pending = pos >= buf.length ? EMPTY : Buffer.from(buf.subarray(pos));
    return events;
  }

  /** The connection closed: report what was left over. */
  end(): FrameEvent[] {
    const events: FrameEvent[] = [];
    const left = this.#pending;
    this.#pending = EMPTY;
    if (!this.#discarding && left.length >= 2 && left[0] === 0x23 && left[1] === 0x23) {
      const length = /^\d{4}$/.test(left.toString("latin1", 2, 6)) ? Number(left.toString("latin1", 2, 6)) : undefined;
      if (length !== undefined && left.length >= length + FRAME_OVERHEAD) {
        const message = `length field says ${length} bytes, but no CR LF follows the CRC there`;
        this.#emit(events, {
          kind: "error",
          error: new Hj212FrameError("EDGE_HJ212_BAD_LENGTH", message, { mn: mnOf(left.toString("latin1")) }),
        });
      } else {
        const of = length === undefined ? "" : ` of ${length + FRAME_OVERHEAD}`;
        this.#emit(
          events,
          error("EDGE_HJ212_TRUNCATED", `the connection closed after ${left.length}${of} bytes of a frame`),
        );
      }
    } else if (!this.#discarding) {
      this.#skip(left, 0, left.length, events);
    }
    this.#discarding = false;
    this.#flushGarbage(events);
    return events;
  }

  /** Looks for a frame at `pos`; returns where to go on, or -(pos + 1) to wait for more bytes. */
  #step(buf: Buffer, pos: number, events: FrameEvent[]): number {
    let start = buf.indexOf(HASHES, pos);
    while (start >= 0 && buf[start + 2] === 0x23) start++; // "###0101…": the frame starts at the last pair
    if (start < 0) {
      const keep = buf[buf.length - 1] === 0x23 ? 1 : 0; // a lone '#' may be half of the next "##"
      this.#skip(buf, pos, buf.length - keep, events);
      return -(buf.length - keep) - 1;
    }
    this.#skip(buf, pos, start, events);
    if (buf.length - start < 6) return -start - 1;
    const lengthField = buf.toString("latin1", start + 2, start + 6);
    if (!/^\d{4}$/.test(lengthField)) {
      return this.#bad(start, events, `length field ${printable(lengthField)} is not 4 decimal digits`);
    }
    const declared = Number(lengthField);
    const end = start + declared + FRAME_OVERHEAD;
    // Decide on whichever comes first, so that the verdict does not depend on how TCP cut the stream.
    const crlf = buf.indexOf(CRLF, start + 6);
    const next = buf.indexOf(HASHES, start + 2);
    if (crlf >= 0 && crlf + 2 < end && (next < 0 || crlf < next)) {
      // A data segment holds no CR LF (§6.3.1): the frame ended before its length field says.
      this.#emit(events, lengthError(declared, crlf - start - 10, buf, start));
      return crlf + 2;
    }
    if (next >= 0 && next < end) {
      this.#emit(
        events,
        error("EDGE_HJ212_TRUNCATED", `a frame was cut off after ${next - start} bytes by the next ##`),
      );
      return next;
    }
    if (buf.length < end) return -start - 1;
    if (buf[end - 2] === 0x0d && buf[end - 1] === 0x0a) {
      this.#emit(events, { kind: "frame", bytes: buf.subarray(start, end) });
      return end;
    }
    // Longer than declared: name the real length once the frame's own CR LF is here.
    if (crlf >= 0 && (next < 0 || crlf < next)) {
      this.#emit(events, lengthError(declared, crlf - start - 10, buf, start));
      return crlf + 2;
    }
    if (next < 0 && buf.length - start < MAX_SEGMENT_LENGTH + FRAME_OVERHEAD) return -start - 1;
    const mn = mnOf(buf.toString("latin1", start + 6, end - 6));
    return this.#bad(start, events, `length field says ${declared} bytes, but no CR LF follows the CRC there`, mn);
  }

  #bad(start: number, events: FrameEvent[], message: string, mn?: string): number {
    this.#emit(events, { kind: "error", error: new Hj212FrameError("EDGE_HJ212_BAD_LENGTH", message, { mn }) });
    this.#discarding = true;
    return start + 1; // the next "##" may overlap this one
  }

  /** Reports skipped junk first, so that events come in stream order. */
  #emit(events: FrameEvent[], event: FrameEvent): void {
    this.#flushGarbage(events);
    events.push(event);
  }

  /** Drops the rest of a bad frame, up to its CR LF or the next `##`, whichever comes first. */
  #discard(buf: Buffer, pos: number): number {
    const next = buf.indexOf(HASHES, pos);
    const crlf = buf.indexOf(CRLF, pos);
    if (next >= 0 && (crlf < 0 || next < crlf)) {
      this.#discarding = false;
      return next;
    }
    if (crlf >= 0) {
      this.#discarding = false;
      return crlf + 2;
    }
    const last = buf[buf.length - 1];
    const keep = last === 0x23 || last === 0x0d ? 1 : 0;
    return -(buf.length - keep) - 1;
  }

  #skip(buf: Buffer, from: number, to: number, events: FrameEvent[]): void {
    if (to <= from) return;
    if (this.#garbageSample.length < 32) {
      this.#garbageSample += buf.toString("latin1", from, Math.min(to, from + 32 - this.#garbageSample.length));
    }
    this.#garbage += to - from;
    if (this.#garbage >= this.maxGarbageBytes) this.#flushGarbage(events);
  }

  #flushGarbage(events: FrameEvent[]): void {
    if (this.#garbage === 0) return;
    events.push(
      error(
        "EDGE_HJ212_GARBAGE",
        `skipped ${this.#garbage} bytes that are not part of a frame, starting ${printable(this.#garbageSample, 32)}`,
      ),
    );
    this.#garbage = 0;
    this.#garbageSample = "";
  }
}

function error(
  code: "EDGE_HJ212_BAD_LENGTH" | "EDGE_HJ212_TRUNCATED" | "EDGE_HJ212_GARBAGE",
  message: string,
): FrameEvent {
  return { kind: "error", error: new Hj212FrameError(code, message) };
}

function lengthError(declared: number, actual: number, buf: Buffer, start: number): FrameEvent {
  const mn = mnOf(buf.toString("latin1", start + 6, start + 6 + Math.max(0, actual)));
  return {
    kind: "error",
    error: new Hj212FrameError(
      "EDGE_HJ212_BAD_LENGTH",
      `length field says ${declared} bytes, the data segment has ${Math.max(0, actual)}`,
      { mn, expected: declared, actual: Math.max(0, actual) },
    ),
  };
}
