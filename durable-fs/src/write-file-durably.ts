import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from "node:fs";
import { open, rename } from "node:fs/promises";
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
  syncDirectory(dirname(file));
}

/**
 * {@link writeFileDurably} on libuv's thread pool: the same calls in the same order, while the
 * event loop goes on (a stream processor writes each insert down, megabytes, while it decodes the
 * next batch).
 */
export async function writeFileDurablyAsync(file: string, data: Uint8Array): Promise<void> {
  const handle = await open(`${file}.tmp`, "w");
  try {
    for (let at = 0; at < data.length; ) at += (await handle.write(data, at)).bytesWritten;
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(`${file}.tmp`, file);
  await syncDirectoryAsync(dirname(file));
}

/** {@link syncDirectory} on libuv's thread pool. */
export async function syncDirectoryAsync(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL") throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Makes the entries of a folder durable (a file created, renamed or removed in it): on Linux an
 * entry survives a power cut only once its folder is synced. Platforms that refuse to sync a
 * folder (EISDIR, EPERM, EINVAL) offer nothing better, so the refusal is not an error.
 */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL") throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * `mkdir -p` whose new folders survive a power cut: each folder it creates is synced into its
 * parent, from the outermost down. A folder that exists is left as it is.
 */
export function mkdirDurably(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) missing.unshift(d);
  if (missing.length === 0) return;
  mkdirSync(dir, { recursive: true });
  for (const d of missing) syncDirectory(dirname(d));
}
