import {
  END_CHARACTER_BYTES,
  type EndCharacterName,
  ETB,
  ETX,
  endCharacterName,
  FRAME_START,
  isEndCharacter,
  STX,
  SYN,
} from "./control-characters.ts";
import { crc16 } from "./crc16.ts";
import { hex2, hexOf } from "./hex.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

/**
 * The HEX/BCD frame, SL 651-2014 §6.5.2 (tables 11 and 12):
 *
 *   7E7E | centre (1) | station (5) | password (2) | function (1) | direction+length (2) | STX
 *        | body | end character | CRC (2, high byte first)
 *
 * A downlink frame swaps the addresses: station (5) first, then centre (1). The direction+length
 * word (§6.4, table 16) carries the direction in its upper 4 bits (0 up, 8 down) and the body
 * length in its lower 12 (1..4095 bytes between the start and the end character). A message too
 * long for one frame is sent in packets that start with SYN instead of STX, followed by 3 bytes:
 * the packet count in the upper 12 bits and this packet's sequence number (from 1) in the lower
 * 12 (table 22); the 3 bytes count in the body length. An uplink frame ends with ETX or ETB
 * (table 10, §6.3.2.5); the other end characters belong to the centre's downlink frames.
 */
export const HEADER_LENGTH = 14;
export const TRAILER_LENGTH = 3;
export const MAX_BODY_LENGTH = 0x0fff;
export const MAX_FRAME_LENGTH = HEADER_LENGTH + MAX_BODY_LENGTH + TRAILER_LENGTH;
const PACKET_INFO_LENGTH = 3;

export type Direction = "up" | "down";

export interface PacketInfo {
  total: number;
  seq: number;
}

export interface Sl651Frame {
  direction: Direction;
  /** Centre (central station) address, 1..255. */
  centre: number;
  /** Remote station address as 10 upper-case hex digits. */
  station: string;
  /** Password as 4 upper-case hex digits. */
  password: string;
  functionCode: number;
  start: "STX" | "SYN";
  /** Present on SYN frames: one packet of a multi-packet message. */
  packet?: PacketInfo;
  /** The body after the start character (and after the packet info), before the end character. */
  body: Buffer;
  end: EndCharacterName;
  /** Bytes the whole frame occupies, 7E7E to CRC. */
  length: number;
}

export interface Sl651FrameSpec {
  direction: Direction;
  centre: number;
  station: string;
  password: string;
  functionCode: number;
  body: Uint8Array;
  end: EndCharacterName;
  packet?: PacketInfo;
}

/** Who the header claims sent a frame, for error messages before the CRC vouches for it. */
export function describeFrameStart(bytes: Uint8Array, offset: number): string {
  const available = bytes.length - offset;
  if (available < 11) return "frame";
  const down = ((bytes[offset + 11] ?? 0) & 0xf0) === 0x80;
  const station = down ? hexOf(bytes, offset + 2, offset + 7) : hexOf(bytes, offset + 3, offset + 8);
  return `frame from station ${station}, function ${hex2(bytes[offset + 10] as number)}`;
}

/**
 * Checks the 14-byte header at `offset` (which starts with 7E7E) and returns the length of the
 * whole frame. Throws when the header cannot start a frame.
 */
export function frameLength(bytes: Uint8Array, offset: number): number {
  const who = describeFrameStart(bytes, offset);
  const word = ((bytes[offset + 11] as number) << 8) | (bytes[offset + 12] as number);
  const direction = word >> 12;
  if (direction !== 0 && direction !== 8) {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_FRAME",
      `${who}: direction nibble ${direction.toString(16).toUpperCase()} is neither 0 (up) nor 8 (down)`,
      { offset: 11 },
    );
  }
  const start = bytes[offset + 13] as number;
  if (start !== STX && start !== SYN) {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_FRAME",
      `${who}: start character 0x${hex2(start)} at frame byte 13 is neither STX (02) nor SYN (16)`,
      { offset: 13 },
    );
  }
  const bodyLength = word & MAX_BODY_LENGTH;
  const minimum = start === SYN ? PACKET_INFO_LENGTH + 1 : 1;
  if (bodyLength < minimum) {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_LENGTH",
      `${who}: body length ${bodyLength} is too short (at least ${minimum} after ${start === SYN ? "SYN" : "STX"})`,
      { offset: 11, bodyLength },
    );
  }
  return HEADER_LENGTH + bodyLength + TRAILER_LENGTH;
}

/** Parses and verifies one complete frame at `offset`: length, end character, CRC, packet info. */
export function parseFrame(bytes: Uint8Array, offset = 0): Sl651Frame {
  if (bytes[offset] !== FRAME_START || bytes[offset + 1] !== FRAME_START) {
    throw new Sl651CodecError("EDGE_SL651_NOT_A_FRAME", "frame does not start with 7E7E", { offset });
  }
  const who = describeFrameStart(bytes, offset);
  if (bytes.length - offset < HEADER_LENGTH) {
    throw new Sl651CodecError("EDGE_SL651_TRUNCATED_FRAME", `${who}: only ${bytes.length - offset} bytes`, {});
  }
  const length = frameLength(bytes, offset);
  if (bytes.length - offset < length) {
    throw new Sl651CodecError("EDGE_SL651_TRUNCATED_FRAME", `${who}: ${bytes.length - offset} of ${length} bytes`, {
      received: bytes.length - offset,
      length,
    });
  }
  const endAt = offset + length - TRAILER_LENGTH;
  const endByte = bytes[endAt] as number;
  const up = (bytes[offset + 11] as number) >> 4 === 0;
  if (up ? endByte !== ETX && endByte !== ETB : !isEndCharacter(endByte)) {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_LENGTH",
      `${who}: body length ${length - HEADER_LENGTH - TRAILER_LENGTH} puts the end character at frame byte ${length - TRAILER_LENGTH}, but 0x${hex2(endByte)} is there, not ${up ? "ETX (03) or ETB (17)" : "an end character"} (frame truncated or length wrong)`,
      { offset: length - TRAILER_LENGTH, found: endByte },
    );
  }
  const expected = crc16(bytes, offset, endAt + 1);
  const actual = ((bytes[endAt + 1] as number) << 8) | (bytes[endAt + 2] as number);
  if (expected !== actual) {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_CRC",
      `${who}: CRC mismatch: expected 0x${hex4(expected)}, actual 0x${hex4(actual)}`,
      { expected, actual },
    );
  }
  return readFrame(bytes, offset, length, who);
}

function readFrame(bytes: Uint8Array, offset: number, length: number, who: string): Sl651Frame {
  const direction: Direction = (bytes[offset + 11] as number) >> 4 === 8 ? "down" : "up";
  const station = direction === "up" ? hexOf(bytes, offset + 3, offset + 8) : hexOf(bytes, offset + 2, offset + 7);
  const centre = bytes[offset + (direction === "up" ? 2 : 7)] as number;
  const syn = bytes[offset + 13] === SYN;
  let bodyStart = offset + HEADER_LENGTH;
  let packet: PacketInfo | undefined;
  if (syn) {
    const b0 = bytes[bodyStart] as number;
    const b1 = bytes[bodyStart + 1] as number;
    const b2 = bytes[bodyStart + 2] as number;
    packet = { total: (b0 << 4) | (b1 >> 4), seq: ((b1 & 0x0f) << 8) | b2 };
    if (packet.total < 1 || packet.seq < 1 || packet.seq > packet.total) {
      throw new Sl651CodecError(
        "EDGE_SL651_BAD_FRAME",
        `${who}: packet ${packet.seq} of ${packet.total} is out of range (1..count)`,
        { ...packet },
      );
    }
    bodyStart += PACKET_INFO_LENGTH;
  }
  const endAt = offset + length - TRAILER_LENGTH;
  const frame: Sl651Frame = {
    direction,
    centre,
    station,
    password: hexOf(bytes, offset + 8, offset + 10),
    functionCode: bytes[offset + 10] as number,
    start: syn ? "SYN" : "STX",
    body: Buffer.from(bytes.subarray(bodyStart, endAt)),
    end: endCharacterName(bytes[endAt] as number),
    length,
  };
  if (packet !== undefined) frame.packet = packet;
  return frame;
}

/** Builds a frame (either direction), with its length word and CRC. */
export function buildFrame(spec: Sl651FrameSpec): Buffer {
  const station = Buffer.from(requireHex(spec.station, 10, "station address"), "hex");
  const password = Buffer.from(requireHex(spec.password, 4, "password"), "hex");
  if (spec.packet !== undefined) {
    const { total, seq } = spec.packet;
    if (total < 1 || total > 0xfff || seq < 1 || seq > total) {
      throw new RangeError(`packet ${seq} of ${total} is out of range (count 1..4095, sequence 1..count)`);
    }
  }
  const packetInfo =
    spec.packet === undefined
      ? Buffer.alloc(0)
      : Buffer.from([
          spec.packet.total >> 4,
          ((spec.packet.total & 0x0f) << 4) | (spec.packet.seq >> 8),
          spec.packet.seq & 0xff,
        ]);
  const bodyLength = packetInfo.length + spec.body.length;
  if (bodyLength < 1 || bodyLength > MAX_BODY_LENGTH) {
    throw new RangeError(`body of ${bodyLength} bytes does not fit a frame (1..${MAX_BODY_LENGTH})`);
  }
  const word = (spec.direction === "down" ? 0x8000 : 0) | bodyLength;
  const addresses =
    spec.direction === "up" ? [Buffer.from([spec.centre]), station] : [station, Buffer.from([spec.centre])];
  const head = Buffer.concat([
    Buffer.from([FRAME_START, FRAME_START]),
    ...addresses,
    password,
    Buffer.from([spec.functionCode, word >> 8, word & 0xff, spec.packet === undefined ? STX : SYN]),
    packetInfo,
    spec.body,
    Buffer.from([END_CHARACTER_BYTES[spec.end]]),
  ]);
  const crc = crc16(head);
  return Buffer.concat([head, Buffer.from([crc >> 8, crc & 0xff])]);
}

function requireHex(value: string, digits: number, what: string): string {
  if (!new RegExp(`^[0-9A-Fa-f]{${digits}}$`).test(value)) {
    throw new RangeError(`${what} must be ${digits} hex digits, got ${value}`);
  }
  return value;
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}
