export { ACK_FILE } from "./ack-file.ts";
export { Journal } from "./journal.ts";
export { JournalError, type JournalErrorCode } from "./journal-error.ts";
export { LOCK_FILE } from "./journal-lock.ts";
export { FSYNC_POLICIES, type FsyncPolicy, type JournalOptions } from "./journal-options.ts";
export type { JournalRecord, JournalStats } from "./journal-record.ts";
