/** One journaled payload. `id` starts at 1 and increases by one per record; see README.md on reuse. */
export interface JournalRecord {
  id: number;
  payload: Uint8Array;
}

export interface JournalStats {
  /** Records appended since open. */
  appended: number;
  /** Records acked since open (each id once). */
  acked: number;
  /** Retained records not acked. */
  pending: number;
  /** Their payload bytes. */
  pendingBytes: number;
  /** Segment files and the ack file. */
  diskBytes: number;
  segments: number;
  /** Unacked records lost to the overflow policy since open, and their payload bytes. */
  overflowed: number;
  overflowedBytes: number;
  /** Bytes cut from torn or corrupt segment tails when the journal was opened. */
  recoveredTornBytes: number;
  /** fdatasync calls on segment files since open (with group commit, fewer than appends). */
  fsyncs: number;
}
