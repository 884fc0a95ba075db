import { type CrcDialect, crcOf, formatCrc } from "./crc.ts";
import { type DataSegment, mnOf, parseDataSegment } from "./data-segment.ts";
import { replyFlag } from "./flag.ts";
import { Hj212FrameError } from "./hj212-frame-error.ts";
import { printable } from "./printable.ts";

/** Which CRC a receiver accepts: the standard's, the CRC-16/MODBUS some vendors send, or either. */
export type CrcMode = CrcDialect | "either";

/** A decoded frame: its data segment, and the CRC dialect it came with (answers use the same). */
export interface Hj212Frame extends DataSegment {
  crc: CrcDialect;
}

/** `##` + 4-digit length + data segment + 4 hex CRC + CR LF: 12 bytes around the segment. */
export const FRAME_OVERHEAD = 12;
/** The length field has four decimal digits. HJ 212-2017 §6.3.1 caps the segment at 1024; vendors exceed it. */
export const MAX_SEGMENT_LENGTH = 9999;

const HEADER = Buffer.from("##");
const TRAILER = Buffer.from("\r\n");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes one frame, HJ 212-2017 §6.3.1: `##`, the data segment's length in bytes as 4 decimal
 * digits, the data segment, its CRC as 4 hex digits (either case), CR LF (optional here, so that
 * a frame copied from a log can be checked too). Throws `Hj212FrameError`.
 */
export function parseFrame(frame: Uint8Array | string, crc: CrcMode = "hj212"): Hj212Frame {
  const bytes =
    typeof frame === "string" ? Buffer.from(frame, "utf8") : Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  if (bytes.length < 6 || bytes[0] !== 0x23 || bytes[1] !== 0x23) {
    throw new Hj212FrameError(
      "EDGE_HJ212_BAD_LENGTH",
      `a frame starts with ##, this one with ${printable(bytes.toString("latin1", 0, 6))}`,
    );
  }
  const lengthField = bytes.toString("latin1", 2, 6);
  if (!/^\d{4}$/.test(lengthField)) {
    throw new Hj212FrameError(
      "EDGE_HJ212_BAD_LENGTH",
      `length field ${printable(lengthField)} is not 4 decimal digits`,
    );
  }
  const length = Number(lengthField);
  const end =
    bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a
      ? bytes.length - 2
      : bytes.length;
  const segment = bytes.subarray(6, 6 + length);
  if (end !== 6 + length + 4) {
    const mn = mnOf(segment.toString("latin1"));
    throw new Hj212FrameError(
      "EDGE_HJ212_BAD_LENGTH",
      `length field says ${length} bytes, the data segment has ${Math.max(0, end - 10)}`,
      { mn, expected: length, actual: Math.max(0, end - 10) },
    );
  }
  const dialect = checkCrc(segment, bytes.toString("latin1", 6 + length, end), crc);
  let text: string;
  try {
    text = utf8.decode(segment);
  } catch {
    throw new Hj212FrameError("EDGE_HJ212_BAD_FIELD", "the data segment is not valid UTF-8", {
      mn: mnOf(segment.toString("latin1")),
    });
  }
  return Object.assign(parseDataSegment(text), { crc: dialect });
}

function checkCrc(segment: Buffer, field: string, mode: CrcMode): CrcDialect {
  const mn = () => mnOf(segment.toString("latin1"));
  if (!/^[0-9A-Fa-f]{4}$/.test(field)) {
    throw new Hj212FrameError("EDGE_HJ212_BAD_CRC", `CRC field ${printable(field)} is not 4 hex digits`, { mn: mn() });
  }
  const actual = field.toUpperCase();
  const hj212 = mode === "modbus" ? undefined : formatCrc(crcOf("hj212", segment));
  if (actual === hj212) return "hj212";
  const modbus = mode === "hj212" ? undefined : formatCrc(crcOf("modbus", segment));
  if (actual === modbus) return "modbus";
  const expected =
    mode === "either"
      ? `neither the HJ 212 CRC ${hj212} nor the CRC-16/MODBUS ${modbus}`
      : mode === "hj212"
        ? `the HJ 212 CRC is ${hj212}`
        : `the CRC-16/MODBUS is ${modbus}`;
  throw new Hj212FrameError("EDGE_HJ212_BAD_CRC", `bad CRC: the frame says ${actual}, ${expected}`, {
    mn: mn(),
    expected: hj212 ?? modbus,
    actual,
  });
}

/** Frames a data segment: `##`, its length in bytes, the segment, its CRC in `dialect`, CR LF. */
export function buildFrame(segment: string, dialect: CrcDialect = "hj212"): Buffer {
  const body = Buffer.from(segment, "utf8");
  if (body.length > MAX_SEGMENT_LENGTH) {
    throw new RangeError(`a data segment of ${body.length} bytes does not fit the 4-digit length field`);
  }
  const length = Buffer.from(String(body.length).padStart(4, "0"), "latin1");
  const crc = Buffer.from(formatCrc(crcOf(dialect, body)), "latin1");
  return Buffer.concat([HEADER, length, body, crc, TRAILER]);
}

/**
 * The data response (数据应答, CN=9014) to an upload whose Flag asks for one, as HJ 212-2017
 * Appendix C shows it: the request's QN, PW and MN, ST=91 (系统交互), and an empty data area.
 * (QnRtn belongs to the request response 9011 and ExeRtn to the execution result 9012.)
 */
export function buildDataResponse(request: Pick<Hj212Frame, "qn" | "pw" | "mn" | "version" | "crc">): Buffer {
  const segment = `QN=${request.qn};ST=91;CN=9014;PW=${request.pw};MN=${request.mn};Flag=${replyFlag(request.version)};CP=&&&&`;
  return buildFrame(segment, request.crc);
}
