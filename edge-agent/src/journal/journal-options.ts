import { type Logger, silentLogger } from "@lifeline/contracts";
import { JournalError } from "./journal-error.ts";
import type { JournalRecord } from "./journal-record.ts";

/**
 * When an append counts as done. "always": after an fdatasync covering it (appends waiting at the
 * same time share one). "interval": after write(); fdatasync every `fsyncIntervalMs`. "never":
 * after write(); the OS writes back when it likes.
 */
export type FsyncPolicy = "always" | "interval" | "never";
export const FSYNC_POLICIES: readonly FsyncPolicy[] = ["always", "interval", "never"];

export interface JournalOptions {
  /** Created if missing; one journal per directory (lock file). */
  dir: string;
  /** Total on-disk budget: segments and the ack file. */
  maxBytes: number;
  /** Default: maxBytes / 8 clamped to [64 KiB, 64 MiB], and at most maxBytes / 2. */
  segmentBytes?: number;
  fsync: FsyncPolicy;
  /** fdatasync cadence for "interval", and the ack-file cadence for every policy. Default 1000. */
  fsyncIntervalMs?: number;
  /** Unacked records dropped by the overflow policy, in id order (one call per dropped segment). */
  onOverflow?: (lost: JournalRecord[]) => void;
  log?: Logger;
  /** Payload bytes of the most recent records kept in memory for `read`. Default 8 MiB. */
  tailCacheBytes?: number;
}

export interface ResolvedJournalOptions {
  dir: string;
  maxBytes: number;
  segmentBytes: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
  onOverflow: (lost: JournalRecord[]) => void;
  log: Logger;
  tailCacheBytes: number;
}

const KIB = 1024;
const MIB = 1024 * KIB;
/** Offsets in a segment are kept as u32. */
const MAX_SEGMENT_BYTES = 2 ** 31;
const MIN_SEGMENT_BYTES = 256;

export function resolveJournalOptions(options: JournalOptions): ResolvedJournalOptions {
  const { dir, maxBytes, fsync } = options;
  const bad = (message: string) => new JournalError("EDGE_JOURNAL_BAD_OPTIONS", message, { dir });
  if (!FSYNC_POLICIES.includes(fsync)) throw bad(`fsync must be one of ${FSYNC_POLICIES.join(", ")}, not ${fsync}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 2 * MIN_SEGMENT_BYTES) {
    throw bad(`maxBytes must be an integer ≥ ${2 * MIN_SEGMENT_BYTES}, not ${maxBytes}`);
  }
  const segmentBytes =
    options.segmentBytes ??
    Math.min(Math.floor(maxBytes / 2), Math.max(64 * KIB, Math.min(64 * MIB, Math.floor(maxBytes / 8))));
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
    throw bad(`segmentBytes must be an integer in [${MIN_SEGMENT_BYTES}, ${MAX_SEGMENT_BYTES}], not ${segmentBytes}`);
  }
  // Two segments at least: the overflow policy never deletes the one being written, so it needs
  // another one to drop.
  if (segmentBytes * 2 > maxBytes)
    throw bad(`segmentBytes (${segmentBytes}) must be at most maxBytes / 2 (${maxBytes})`);
  const fsyncIntervalMs = options.fsyncIntervalMs ?? 1000;
  if (!(fsyncIntervalMs > 0)) throw bad(`fsyncIntervalMs must be > 0, not ${fsyncIntervalMs}`);
  const tailCacheBytes = options.tailCacheBytes ?? 8 * MIB;
  if (!(tailCacheBytes >= 0)) throw bad(`tailCacheBytes must be ≥ 0, not ${tailCacheBytes}`);
  return {
    dir,
    maxBytes,
    segmentBytes,
    fsync,
    fsyncIntervalMs,
    onOverflow: options.onOverflow ?? (() => undefined),
    log: options.log ?? silentLogger,
    tailCacheBytes,
  };
}
