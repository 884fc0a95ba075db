import { closeFile, fileSize, openFile, readAt } from "./durable-file.ts";
import {
  checkSegmentHeader,
  FRAME_HEADER_BYTES,
  frameLength,
  SEGMENT_HEADER_BYTES,
  type SegmentHeaderCheck,
  verifiedFrameId,
} from "./record-frame.ts";
import { Segment } from "./segment.ts";

const CHUNK_BYTES = 1024 * 1024;

export interface ScannedSegment {
  /** The records that passed, in order; `segment.size` is where the valid part ends. */
  segment: Segment;
  fileBytes: number;
  header: SegmentHeaderCheck;
}

/**
 * Reads a segment file from the start and keeps every record up to the first one that is cut
 * short, fails its CRC, or does not carry the next id: a write torn by a crash or a power cut, or
 * bytes damaged later. Nothing after it is trusted, since its length field cannot be.
 */
export async function scanSegment(dir: string, firstId: number): Promise<ScannedSegment> {
  const segment = new Segment(dir, firstId);
  const fd = await openFile(segment.path, "r");
  try {
    const fileBytes = await fileSize(fd);
    let chunk = await readAt(fd, Math.min(CHUNK_BYTES, fileBytes), 0);
    let chunkAt = 0;
    const header = checkSegmentHeader(chunk);
    if (header !== "ok") return { segment, fileBytes, header };
    let at = SEGMENT_HEADER_BYTES;
    while (at + FRAME_HEADER_BYTES <= fileBytes) {
      if (at + FRAME_HEADER_BYTES > chunkAt + chunk.length) {
        chunk = await readAt(fd, CHUNK_BYTES, at);
        chunkAt = at;
      }
      const length = frameLength(chunk, at - chunkAt);
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > fileBytes) break;
      if (end > chunkAt + chunk.length) {
        chunk = await readAt(fd, Math.max(CHUNK_BYTES, end - at), at);
        chunkAt = at;
      }
      if (verifiedFrameId(chunk, at - chunkAt, length) !== firstId + segment.count) break;
      segment.addRecord(length);
      at = end;
    }
    return { segment, fileBytes, header };
  } finally {
    await closeFile(fd);
  }
}
