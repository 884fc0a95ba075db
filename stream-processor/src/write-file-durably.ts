import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Replaces `file` with `data` so that after a crash or a power cut it holds either the old content
 * or the new, whole: written to `file.tmp` and synced, renamed over `file`, then the folder synced
 * so that the rename itself is on disk (a rename is a change to the folder, which `fsync` of the
 * file does not cover; POSIX `rename(2)` makes it atomic, not durable).
 */
export function writeFileDurably(file: string, data: Uint8Array | string): void {
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  const fd = openSync(`${file}.tmp`, "w");
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
  const dir = openSync(dirname(file), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
