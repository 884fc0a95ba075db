import { readdir, truncate, unlink } from "node:fs/promises";
import type { Logger } from "@lifeline/contracts";
import { decodeAckFile, readAckFile, removeAckTmp } from "./ack-file.ts";
import { closeFile, fdatasync, openFile, truncateFile, writeAll } from "./durable-file.ts";
import { JournalError } from "./journal-error.ts";
import { SEGMENT_HEADER_BYTES, segmentHeader } from "./record-frame.ts";
import { type Segment, segmentFirstId } from "./segment.ts";
import { scanSegment } from "./segment-scan.ts";

export interface RecoveredJournal {
  /** In id order; every one but the last sealed; acks restored; fully acked sealed ones deleted. */
  segments: Segment[];
  tornBytes: number;
  /** The highest id handed out before, from the segments or the ack file (0 if none). */
  lastId: number;
  ackFileBytes: number;
}

/**
 * Brings a journal directory back to a consistent state after whatever ended the last process:
 * each segment is scanned and cut after its last whole record, then the persisted acks are applied.
 */
export async function recoverJournal(dir: string, log: Logger): Promise<RecoveredJournal> {
  await removeAckTmp(dir);
  const ids = (await readdir(dir))
    .map(segmentFirstId)
    .filter((id): id is number => id !== undefined)
    .sort((a, b) => a - b);
  const segments: Segment[] = [];
  let tornBytes = 0;
  for (const [i, firstId] of ids.entries()) {
    const { segment, cut } = await recoverSegment(dir, firstId, i === ids.length - 1, log);
    tornBytes += cut;
    if (segment === undefined) continue;
    const previous = segments.at(-1);
    if (previous !== undefined && previous.endId > firstId) {
      throw new JournalError("EDGE_JOURNAL_CORRUPT", `segments overlap at id ${firstId}`, {
        dir,
        detail: { file: segment.path },
      });
    }
    segments.push(segment);
  }
  for (const segment of segments.slice(0, -1)) segment.seal();
  const acks = await restoreAcks(dir, segments, log);
  const kept: Segment[] = [];
  for (const segment of segments) {
    if (segment.sealed && segment.fullyAcked) await unlink(segment.path);
    else kept.push(segment);
  }
  const last = segments.at(-1);
  const lastId = Math.max(last === undefined ? 0 : last.endId - 1, acks.lastId);
  return { segments: kept, tornBytes, lastId, ackFileBytes: acks.fileBytes };
}

async function recoverSegment(
  dir: string,
  firstId: number,
  isLast: boolean,
  log: Logger,
): Promise<{ segment: Segment | undefined; cut: number }> {
  const { segment, fileBytes, header } = await scanSegment(dir, firstId);
  const where = { dir, detail: { file: segment.path } };
  if (header === "foreign")
    throw new JournalError("EDGE_JOURNAL_CORRUPT", "a segment file is not a journal segment", where);
  if (header === "newer") {
    throw new JournalError("EDGE_JOURNAL_UNSUPPORTED_FORMAT", "a segment was written by a newer journal format", where);
  }
  const valid = header === "torn" ? 0 : segment.size;
  const cut = fileBytes - valid;
  if (cut > 0) {
    // Only the last segment can be torn by a crash (earlier ones were fdatasynced when sealed,
    // except with fsync "never"): damage further back means records in the middle are gone.
    const fields = { dir, file: segment.path, records: segment.count, cutBytes: cut, validBytes: valid };
    if (isLast) log.warn("journal: torn tail cut at recovery", fields);
    else log.error("journal: damaged segment cut at recovery; the records after the damage are lost", fields);
  }
  if (segment.count === 0 && !isLast) {
    await unlink(segment.path);
    return { segment: undefined, cut };
  }
  if (cut > 0) await cutFile(segment.path, valid);
  segment.size = Math.max(valid, SEGMENT_HEADER_BYTES);
  segment.visibleCount = segment.count;
  return { segment, cut };
}

/** Cuts a file to its valid bytes (a torn header is written anew) and makes the cut durable. */
async function cutFile(path: string, valid: number): Promise<void> {
  if (valid > 0) await truncate(path, valid);
  const fd = await openFile(path, "r+");
  try {
    if (valid === 0) {
      await truncateFile(fd, 0);
      await writeAll(fd, [segmentHeader()], 0);
    }
    await fdatasync(fd);
  } finally {
    await closeFile(fd);
  }
}

async function restoreAcks(
  dir: string,
  segments: Segment[],
  log: Logger,
): Promise<{ lastId: number; fileBytes: number }> {
  const bytes = await readAckFile(dir);
  if (bytes === undefined) return { lastId: 0, fileBytes: 0 };
  const state = decodeAckFile(bytes);
  if (state === undefined) {
    log.warn("journal: ack file unreadable; every retained record will be sent again", { dir, bytes: bytes.length });
    return { lastId: 0, fileBytes: bytes.length };
  }
  const byFirstId = new Map(segments.map((s) => [s.firstId, s]));
  for (const acks of state.segments) byFirstId.get(acks.firstId)?.restoreAcks(acks);
  return { lastId: state.lastId, fileBytes: bytes.length };
}
