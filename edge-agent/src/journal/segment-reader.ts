import { closeFile, isMissing, openFile, readAt } from "./durable-file.ts";
import { JournalError } from "./journal-error.ts";
import type { JournalRecord } from "./journal-record.ts";
import { FRAME_HEADER_BYTES, frameLength, verifiedFrameId } from "./record-frame.ts";
import type { Segment } from "./segment.ts";

/** Records closer than this are read in one go, the acked ones between them read and skipped. */
const MAX_GAP_BYTES = 64 * 1024;
const MAX_READ_BYTES = 4 * 1024 * 1024;

/**
 * The records at `indices` (ascending) of a segment, read from its file with a few large reads
 * and checked again (CRC and id). A segment deleted meanwhile yields nothing: its records are
 * acked or were reported lost. Each read opens the file anew, so a concurrent unlink is harmless.
 */
export async function readSegmentRecords(dir: string, segment: Segment, indices: number[]): Promise<JournalRecord[]> {
  if (indices.length === 0) return [];
  let fd: number;
  try {
    fd = await openFile(segment.path, "r");
  } catch (error) {
    if (isMissing(error)) return [];
    throw error;
  }
  try {
    const records: JournalRecord[] = [];
    let first = 0;
    while (first < indices.length) {
      const last = runEnd(segment, indices, first);
      const start = segment.offsetOf(indices[first] as number);
      const bytes = await readAt(fd, segment.endOf(indices[last] as number) - start, start);
      for (let k = first; k <= last; k++) records.push(recordAt(dir, segment, bytes, start, indices[k] as number));
      first = last + 1;
    }
    return records;
  } finally {
    await closeFile(fd);
  }
}

/** The last position of the run starting at `first` that one read covers. */
function runEnd(segment: Segment, indices: number[], first: number): number {
  const start = segment.offsetOf(indices[first] as number);
  let last = first;
  while (last + 1 < indices.length) {
    const next = indices[last + 1] as number;
    const gap = segment.offsetOf(next) - segment.endOf(indices[last] as number);
    if (gap > MAX_GAP_BYTES || segment.endOf(next) - start > MAX_READ_BYTES) break;
    last++;
  }
  return last;
}

function recordAt(dir: string, segment: Segment, bytes: Buffer, start: number, index: number): JournalRecord {
  const id = segment.firstId + index;
  const at = segment.offsetOf(index) - start;
  const length = segment.lengthOf(index);
  const whole = at + FRAME_HEADER_BYTES + length <= bytes.length;
  if (!whole || frameLength(bytes, at) !== length || verifiedFrameId(bytes, at, length) !== id) {
    throw new JournalError("EDGE_JOURNAL_CORRUPT", `record ${id} changed on disk since it was written`, {
      dir,
      detail: { file: segment.path, id, offset: segment.offsetOf(index) },
    });
  }
  return { id, payload: bytes.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) };
}
