import type { JournalRecord } from "./journal-record.ts";
import type { Segment, SegmentAcks } from "./segment.ts";
import { readSegmentRecords } from "./segment-reader.ts";
import { TailCache } from "./tail-cache.ts";

/**
 * The retained segments in id order (the last one is being written) and the tail cache: what
 * `read`, `ack` and `firstUnacked` look at. Nothing here writes a file.
 */
export class SegmentList {
  readonly #dir: string;
  readonly cache: TailCache;
  #segments: Segment[];

  constructor(dir: string, segments: Segment[], cacheBytes: number) {
    this.#dir = dir;
    this.#segments = segments;
    this.cache = new TailCache(cacheBytes);
  }

  get all(): readonly Segment[] {
    return this.#segments;
  }

  get oldest(): Segment | undefined {
    return this.#segments[0];
  }

  get newest(): Segment | undefined {
    return this.#segments.at(-1);
  }

  push(segment: Segment): void {
    this.#segments.push(segment);
  }

  /** Takes a segment out: its records are no longer read, acked or counted. */
  remove(segment: Segment): void {
    this.#segments = this.#segments.filter((s) => s !== segment);
    segment.gone = true;
    const oldest = this.#segments[0];
    if (oldest !== undefined) this.cache.dropBelow(oldest.firstId);
  }

  segmentOf(id: number): Segment | undefined {
    const segments = this.#segments;
    let lo = 0;
    let hi = segments.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const segment = segments[mid] as Segment;
      if (id < segment.firstId) hi = mid - 1;
      else if (id >= segment.endId) lo = mid + 1;
      else return segment;
    }
    return undefined;
  }

  isPending(id: number): boolean {
    const segment = this.segmentOf(id);
    const index = segment === undefined ? -1 : segment.indexOf(id);
    return index >= 0 && !(segment as Segment).isAcked(index);
  }

  firstUnacked(): number | undefined {
    for (const segment of this.#segments) {
      const index = segment.nextUnacked(0);
      if (index < segment.visibleCount) return segment.firstId + index;
    }
    return undefined;
  }

  /**
   * Records up to `lastId` (the last visible id when the read began): appends that become visible
   * while an earlier segment is read from disk are left for the next read, so that what one read
   * returns never skips a record that a later read would return.
   */
  async read(fromId: number, maxRecords: number, maxBytes: number, lastId: number): Promise<JournalRecord[]> {
    const out: JournalRecord[] = [];
    let bytes = 0;
    let full = maxRecords <= 0;
    for (const segment of this.#segments.slice()) {
      if (full) break;
      const end = Math.min(segment.visibleCount, lastId - segment.firstId + 1);
      if (segment.firstId + end <= fromId) continue;
      const picked: number[] = [];
      const from = Math.max(0, Math.ceil(fromId) - segment.firstId);
      for (let i = segment.nextUnacked(from); i < end; i = segment.nextUnacked(i + 1)) {
        const length = segment.lengthOf(i);
        const taken = out.length + picked.length;
        if (taken >= maxRecords || (taken > 0 && bytes + length > maxBytes)) {
          full = true;
          break;
        }
        picked.push(i);
        bytes += length;
      }
      if (picked.length === 0) continue;
      for (const record of await this.fetch(segment, picked)) out.push(record);
    }
    // Acks and drops that happened while the disk was read.
    return out.length === 0 ? out : out.filter((r) => this.isPending(r.id));
  }

  /** Records of one segment, from the tail cache where it has them, else from the file. */
  async fetch(segment: Segment, indices: number[]): Promise<JournalRecord[]> {
    const fromCache: JournalRecord[] = [];
    let k = indices.length;
    while (k > 0) {
      const id = segment.firstId + (indices[k - 1] as number);
      const payload = this.cache.get(id);
      if (payload === undefined) break;
      fromCache.push({ id, payload });
      k--;
    }
    fromCache.reverse();
    if (k === 0) return fromCache;
    const fromDisk = await readSegmentRecords(this.#dir, segment, indices.slice(0, k));
    return fromDisk.length === 0 ? fromCache : fromDisk.concat(fromCache);
  }

  /** Takes a segment out for the overflow policy; returns its unacked records (read first). */
  async drop(segment: Segment): Promise<JournalRecord[]> {
    const unacked: number[] = [];
    for (let i = 0; i < segment.count; i++) if (!segment.isAcked(i)) unacked.push(i);
    const records = await this.fetch(segment, unacked);
    this.remove(segment);
    // Acks that came in while the disk was read are not losses.
    return records.filter((r) => !segment.isAcked(r.id - segment.firstId));
  }

  pending(): { records: number; bytes: number } {
    let records = 0;
    let bytes = 0;
    for (const s of this.#segments) {
      records += s.visibleCount - s.ackedCount;
      bytes += s.visiblePayloadBytes() - s.ackedBytes;
    }
    return { records, bytes };
  }

  acksForFile(): SegmentAcks[] {
    return this.#segments.flatMap((s) => s.acksForFile() ?? []);
  }
}
