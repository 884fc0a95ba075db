import { join } from "node:path";
import { FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES } from "./record-frame.ts";

const NAME = /^(\d{16})\.seg$/;

/** Zero-padded to 16 digits (Number.MAX_SAFE_INTEGER has 16), so names sort like their ids. */
export function segmentFileName(firstId: number): string {
  return `${String(firstId).padStart(16, "0")}.seg`;
}

export function segmentFirstId(fileName: string): number | undefined {
  const match = NAME.exec(fileName);
  return match === null ? undefined : Number(match[1]);
}

/** The acks of one segment as the ack file keeps them: a prefix count and the bitmap bytes after it. */
export interface SegmentAcks {
  firstId: number;
  /** Records [0, prefix) are acked. */
  prefix: number;
  /** Byte index in the segment's bitmap where `bits` starts. */
  bitsFrom: number;
  bits: Uint8Array;
}

/**
 * One segment file held in memory: the byte offset of each record (4 bytes a record: exact disk
 * reads and exact pendingBytes without touching the disk) and which records are acked. Acks are
 * a prefix count, which is all that in-order acks need, plus a bitmap (1 bit a record) allocated
 * on the first out-of-order ack; both go with the segment when it is deleted, so ack bookkeeping
 * never outlives the records it describes.
 */
export class Segment {
  readonly firstId: number;
  readonly path: string;
  /** Records written (or being written) to the file. */
  count = 0;
  /** Records whose append resolved: the only ones `read` and `ack` see. */
  visibleCount = 0;
  /** Bytes in the file, header included. */
  size: number;
  ackedCount = 0;
  ackedBytes = 0;
  /** No longer written to; may be deleted. */
  sealed = false;
  /** Deleted or being deleted (all acked, or dropped by the overflow policy). */
  gone = false;
  /** Written since its last fdatasync. */
  unsynced = false;
  #offsets: Uint32Array;
  #prefix = 0;
  #bits: Uint8Array | undefined;

  constructor(dir: string, firstId: number, size = SEGMENT_HEADER_BYTES) {
    this.firstId = firstId;
    this.path = join(dir, segmentFileName(firstId));
    this.size = size;
    this.#offsets = new Uint32Array(1024);
  }

  get endId(): number {
    return this.firstId + this.count;
  }

  /** Appends a record of `payloadLength` bytes at the end of the file; returns its offset. */
  addRecord(payloadLength: number): number {
    if (this.count === this.#offsets.length) this.#grow();
    const offset = this.size;
    this.#offsets[this.count++] = offset;
    this.size += FRAME_HEADER_BYTES + payloadLength;
    return offset;
  }

  offsetOf(index: number): number {
    return this.#offsets[index] as number;
  }

  endOf(index: number): number {
    return index + 1 < this.count ? (this.#offsets[index + 1] as number) : this.size;
  }

  lengthOf(index: number): number {
    return this.endOf(index) - this.offsetOf(index) - FRAME_HEADER_BYTES;
  }

  /** Payload bytes of the visible records. */
  visiblePayloadBytes(): number {
    const n = this.visibleCount;
    return n === 0 ? 0 : this.endOf(n - 1) - SEGMENT_HEADER_BYTES - n * FRAME_HEADER_BYTES;
  }

  /** The index of `id` if it is a visible record of this segment, else -1. */
  indexOf(id: number): number {
    const index = id - this.firstId;
    return index >= 0 && index < this.visibleCount ? index : -1;
  }

  isAcked(index: number): boolean {
    if (index < this.#prefix) return true;
    const bits = this.#bits;
    return bits !== undefined && ((bits[index >> 3] as number) & (1 << (index & 7))) !== 0;
  }

  /** Marks a record acked; false if it already was. */
  ack(index: number): boolean {
    if (this.isAcked(index)) return false;
    if (index === this.#prefix && this.#bits === undefined) this.#prefix++;
    else {
      const bits = this.#ensureBits();
      bits[index >> 3] = (bits[index >> 3] as number) | (1 << (index & 7));
      while (this.#prefix < this.count && this.isAcked(this.#prefix)) this.#prefix++;
    }
    this.ackedCount++;
    this.ackedBytes += this.lengthOf(index);
    return true;
  }

  /** The first visible unacked index at or after `index`; `visibleCount` if there is none. */
  nextUnacked(index: number): number {
    let i = Math.max(index, this.#prefix);
    if (this.#bits !== undefined) while (i < this.visibleCount && this.isAcked(i)) i++;
    return Math.min(i, this.visibleCount);
  }

  get fullyAcked(): boolean {
    return this.ackedCount === this.count;
  }

  seal(): void {
    this.sealed = true;
    this.#offsets = this.#offsets.slice(0, this.count);
    if (this.#bits !== undefined) this.#bits = this.#bits.slice(0, (this.count + 7) >> 3);
  }

  /** Undefined when nothing is acked. */
  acksForFile(): SegmentAcks | undefined {
    if (this.ackedCount === 0) return undefined;
    const bitsFrom = this.#prefix >> 3;
    let bits: Uint8Array = new Uint8Array(0);
    if (this.#bits !== undefined && this.ackedCount > this.#prefix) {
      let end = Math.min(this.#bits.length, (this.count + 7) >> 3);
      while (end > bitsFrom && this.#bits[end - 1] === 0) end--;
      bits = this.#bits.subarray(bitsFrom, end);
    }
    return { firstId: this.firstId, prefix: this.#prefix, bitsFrom, bits };
  }

  /** Applies acks read back from the ack file; records past `count` (lost in a crash) are ignored. */
  restoreAcks(acks: SegmentAcks): void {
    for (let i = 0; i < Math.min(acks.prefix, this.count); i++) this.ack(i);
    for (let b = 0; b < acks.bits.length; b++) {
      const byte = acks.bits[b] as number;
      if (byte === 0) continue;
      for (let bit = 0; bit < 8; bit++) {
        const index = (acks.bitsFrom + b) * 8 + bit;
        if ((byte & (1 << bit)) !== 0 && index < this.count) this.ack(index);
      }
    }
  }

  #grow(): void {
    const offsets = new Uint32Array(this.#offsets.length * 2);
    offsets.set(this.#offsets);
    this.#offsets = offsets;
    if (this.#bits !== undefined) {
      const bits = new Uint8Array(offsets.length >> 3);
      bits.set(this.#bits);
      this.#bits = bits;
    }
  }

  #ensureBits(): Uint8Array {
    this.#bits ??= new Uint8Array((this.#offsets.length + 7) >> 3);
    return this.#bits;
  }
}
