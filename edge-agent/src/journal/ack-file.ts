import { readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { closeFile, fsyncDirectory, fsyncFile, isMissing, openFile, writeAll } from "./durable-file.ts";
import type { SegmentAcks } from "./segment.ts";

export const ACK_FILE = "acks";
const ACK_TMP = "acks.tmp";
const MAGIC = 0x414a4c4c; // "LLJA" read as u32 LE
const FORMAT = 1;
const TWO_32 = 2 ** 32;

/**
 * What survives a restart besides the segments: the last id handed out (so that ids are never
 * reissued even when the records at the end were lost) and the acks of each segment.
 */
export interface AckFileState {
  lastId: number;
  segments: SegmentAcks[];
}

/**
 * `"LLJA" | format u32 | lastId u64 | count u32 | count × (firstId u64 | prefix u32 | bitsFrom u32 |
 * bitsLength u32 | bits) | crc32 u32` of everything before it, all little-endian.
 */
export function encodeAckFile(state: AckFileState): Buffer {
  let size = 4 + 4 + 8 + 4 + 4;
  for (const s of state.segments) size += 20 + s.bits.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(FORMAT, 4);
  writeU64(out, state.lastId, 8);
  out.writeUInt32LE(state.segments.length, 16);
  let at = 20;
  for (const s of state.segments) {
    writeU64(out, s.firstId, at);
    out.writeUInt32LE(s.prefix, at + 8);
    out.writeUInt32LE(s.bitsFrom, at + 12);
    out.writeUInt32LE(s.bits.length, at + 16);
    out.set(s.bits, at + 20);
    at += 20 + s.bits.length;
  }
  out.writeUInt32LE(crc32(out.subarray(0, at)), at);
  return out;
}

/** Undefined when the bytes are not a whole ack file of this format. */
export function decodeAckFile(bytes: Buffer): AckFileState | undefined {
  if (bytes.length < 24 || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt32LE(4) !== FORMAT) return undefined;
  const end = bytes.length - 4;
  if (crc32(bytes.subarray(0, end)) !== bytes.readUInt32LE(end)) return undefined;
  const state: AckFileState = { lastId: readU64(bytes, 8), segments: [] };
  const count = bytes.readUInt32LE(16);
  let at = 20;
  for (let i = 0; i < count; i++) {
    if (at + 20 > end) return undefined;
    const length = bytes.readUInt32LE(at + 16);
    if (at + 20 + length > end) return undefined;
    state.segments.push({
      firstId: readU64(bytes, at),
      prefix: bytes.readUInt32LE(at + 8),
      bitsFrom: bytes.readUInt32LE(at + 12),
      bits: bytes.subarray(at + 20, at + 20 + length),
    });
    at += 20 + length;
  }
  return at === end ? state : undefined;
}

export async function readAckFile(dir: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(dir, ACK_FILE));
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Replaces the ack file atomically: write a temporary file, fsync it, rename it over the old one.
 * A crash leaves either the old or the new file, never a mix. Without `sync` (fsync "never") a
 * power cut may leave an empty file, which reads back as "no acks": records are sent again.
 */
export async function writeAckFile(dir: string, bytes: Buffer, sync: { file: boolean; dir: boolean }): Promise<void> {
  const tmp = join(dir, ACK_TMP);
  const fd = await openFile(tmp, "w");
  try {
    await writeAll(fd, [bytes], 0);
    if (sync.file) await fsyncFile(fd);
  } finally {
    await closeFile(fd);
  }
  await rename(tmp, join(dir, ACK_FILE));
  if (sync.dir) await fsyncDirectory(dir);
}

export async function removeAckTmp(dir: string): Promise<void> {
  await unlink(join(dir, ACK_TMP)).catch((error: unknown) => {
    if (!isMissing(error)) throw error;
  });
}

function writeU64(out: Buffer, value: number, at: number): void {
  out.writeUInt32LE(value % TWO_32, at);
  out.writeUInt32LE(Math.floor(value / TWO_32), at + 4);
}

function readU64(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at + 4) * TWO_32 + bytes.readUInt32LE(at);
}
