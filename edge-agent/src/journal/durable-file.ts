import * as fs from "node:fs";

// Callback fs wrapped by hand: `fs/promises` FileHandles cost an extra allocation and a
// microtask hop per call, which shows at 200k appends/s.

export function openFile(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd))));
}

export function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

export function fsyncFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

export function truncateFile(fd: number, length: number): Promise<void> {
  return new Promise((resolve, reject) => fs.ftruncate(fd, length, (e) => (e ? reject(e) : resolve())));
}

export function fileSize(fd: number): Promise<number> {
  return new Promise((resolve, reject) => fs.fstat(fd, (e, s) => (e ? reject(e) : resolve(s.size))));
}

/** Writes every buffer at `position`, looping over short writes. */
export async function writeAll(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let rest = buffers;
  let at = position;
  while (rest.length > 0) {
    const written = await new Promise<number>((resolve, reject) =>
      fs.writev(fd, rest, at, (e, n) => (e ? reject(e) : resolve(n))),
    );
    at += written;
    rest = skipBytes(rest, written);
  }
}

function skipBytes(buffers: Buffer[], count: number): Buffer[] {
  let left = count;
  let i = 0;
  while (i < buffers.length && left >= (buffers[i] as Buffer).length) left -= (buffers[i++] as Buffer).length;
  const rest = buffers.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(left);
  return rest;
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
export async function readAt(fd: number, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = await new Promise<number>((resolve, reject) =>
      fs.read(fd, buffer, got, length - got, position + got, (e, bytes) => (e ? reject(e) : resolve(bytes))),
    );
    if (n === 0) break;
    got += n;
  }
  return got === length ? buffer : buffer.subarray(0, got);
}

/**
 * Makes a file's creation, rename or removal durable: on Linux a directory entry survives a power
 * cut only once the directory itself is fsynced. Platforms that refuse to fsync a directory
 * (EISDIR, EPERM, EINVAL) get nothing better, so the refusal is ignored.
 */
export async function fsyncDirectory(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = await openFile(dir, "r");
  } catch {
    return;
  }
  try {
    await fsyncFile(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL") throw error;
  } finally {
    await closeFile(fd);
  }
}

export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
