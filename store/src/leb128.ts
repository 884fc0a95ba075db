import { StoreError, type StoreErrorCode } from "./store-error.ts";

/**
 * Unsigned LEB128 varints: how ClickHouse's binary formats (RowBinary, Native) write counts and
 * string lengths — 7 bits a byte, low bits first, the high bit set on every byte but the last.
 */

/** The varint's bytes. */
export function leb128(n: number): number[] {
  const bytes: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 0x80)) bytes.push((n & 0x7f) | 0x80);
  bytes.push(n);
  return bytes;
}

/** Writes `n` at `at`; returns where it ends. */
export function writeLeb128(out: Uint8Array, at: number, n: number): number {
  for (; n >= 0x80; n = Math.floor(n / 0x80)) out[at++] = (n & 0x7f) | 0x80;
  out[at++] = n;
  return at;
}

export function leb128Length(n: number): number {
  let length = 1;
  for (; n >= 0x80; n = Math.floor(n / 0x80)) length++;
  return length;
}

/**
 * Reads the head of a batch in a binary format: varints, and strings (a varint length and UTF-8
 * bytes). Bytes that end too soon are `code`, "<what>: the … is cut short".
 */
export class HeaderReader {
  at = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly code: StoreErrorCode,
    readonly cutShort: string,
  ) {}

  varint(): number {
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = this.bytes[this.at++];
      if (byte === undefined || shift > 28) throw this.error(this.cutShort);
      n += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return n;
    }
  }

  text(): string {
    const length = this.varint();
    if (this.at + length > this.bytes.length) throw this.error(this.cutShort);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, length).toString("utf8");
    this.at += length;
    return s;
  }

  /** Steps over `n` bytes. */
  skip(n: number): void {
    this.at += n;
    if (this.at > this.bytes.length) throw this.error(this.cutShort);
  }

  error(message: string): StoreError {
    return new StoreError(this.code, message);
  }
}
