import { crc32 } from "node:zlib";

/**
 * One record on disk: `length u32 LE | crc32 u32 LE | id u64 LE | payload`. The CRC covers the id
 * and the payload, so a flipped id byte is caught like a flipped payload byte; a damaged length
 * shows up as a CRC mismatch or as a frame running past the end of the file. `node:zlib` has had
 * `crc32` (IEEE 802.3, the zip/PNG polynomial) since Node 20.15 and 22.2; the engines field asks
 * for 20.19.
 */
export const FRAME_HEADER_BYTES = 16;

/**
 * Every segment file starts with `"LLJS" | format u32 LE`, so that a file that is not a journal
 * segment is refused instead of truncated, and a later format can be told apart.
 */
export const SEGMENT_HEADER_BYTES = 8;
export const SEGMENT_FORMAT = 1;
const SEGMENT_MAGIC = 0x534a4c4c; // "LLJS" read as u32 LE

const TWO_32 = 2 ** 32;

export function segmentHeader(): Buffer {
  const header = Buffer.allocUnsafe(SEGMENT_HEADER_BYTES);
  header.writeUInt32LE(SEGMENT_MAGIC, 0);
  header.writeUInt32LE(SEGMENT_FORMAT, 4);
  return header;
}

export type SegmentHeaderCheck = "ok" | "torn" | "foreign" | "newer";

/** A header that is short or all zeros was being written when the power went: torn, not foreign. */
export function checkSegmentHeader(bytes: Buffer): SegmentHeaderCheck {
  if (bytes.length < SEGMENT_HEADER_BYTES) return "torn";
  if (bytes.subarray(0, SEGMENT_HEADER_BYTES).every((b) => b === 0)) return "torn";
  if (bytes.readUInt32LE(0) !== SEGMENT_MAGIC) return "foreign";
  return bytes.readUInt32LE(4) === SEGMENT_FORMAT ? "ok" : "newer";
}

/** A frame with the payload copied in; id and CRC are filled by `sealFrame` once the id is known. */
export function frameOf(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

export function sealFrame(frame: Buffer, id: number): void {
  frame.writeUInt32LE(id % TWO_32, 8);
  frame.writeUInt32LE(Math.floor(id / TWO_32), 12);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
}

export function frameLength(bytes: Buffer, at: number): number {
  return bytes.readUInt32LE(at);
}

/** The id in a frame whose whole bytes are `bytes[at, at + 16 + length)`, or -1 if its CRC is wrong. */
export function verifiedFrameId(bytes: Buffer, at: number, length: number): number {
  const end = at + FRAME_HEADER_BYTES + length;
  if (crc32(bytes.subarray(at + 8, end)) !== bytes.readUInt32LE(at + 4)) return -1;
  return bytes.readUInt32LE(at + 12) * TWO_32 + bytes.readUInt32LE(at + 8);
}
