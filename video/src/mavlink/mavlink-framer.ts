import {
  MavLinkPacketSignature,
  MavLinkProtocol,
  MavLinkProtocolV1,
  MavLinkProtocolV2,
  MSG_ID_MAGIC_NUMBER,
  x25crc,
} from "node-mavlink";

/** One CRC-checked MAVLink packet cut out of a datagram. */
export interface MavlinkFrame {
  readonly version: 1 | 2;
  readonly sysid: number;
  readonly compid: number;
  readonly seq: number;
  readonly msgid: number;
  /** The whole packet, header to checksum (and signature, if signed). */
  readonly bytes: Buffer;
  readonly protocol: MavLinkProtocol;
}

/**
 * Why bytes were not a packet. `garbage`: no start marker where a packet should begin;
 * `truncated`: the datagram ends before the length the header announces; `bad_crc`: the checksum
 * (with the message's CRC_EXTRA) does not match; `unknown_message`: a message id with no known
 * CRC_EXTRA, so its checksum cannot be checked; `unsupported_flags`: MAVLink 2 incompatibility
 * flags other than "signed".
 */
export const MAVLINK_REJECT_REASONS = [
  "garbage",
  "truncated",
  "bad_crc",
  "unknown_message",
  "unsupported_flags",
] as const;
export type MavlinkRejectReason = (typeof MAVLINK_REJECT_REASONS)[number];

export interface MavlinkReject {
  readonly reason: MavlinkRejectReason;
  /** Bytes of the datagram given up under this reason. */
  readonly bytes: number;
}

export interface FramedDatagram {
  readonly frames: MavlinkFrame[];
  readonly rejects: MavlinkReject[];
}

const V1_STX = MavLinkProtocolV1.START_BYTE;
const V2_STX = MavLinkProtocolV2.START_BYTE;
const CHECKSUM = MavLinkProtocol.CHECKSUM_LENGTH;

type Attempt = { frame: MavlinkFrame } | { reason: MavlinkRejectReason; skip: number };

/**
 * Cuts one UDP datagram into MAVLink packets. MAVLink over UDP puts whole packets in each
 * datagram, so nothing carries over to the next one (unlike node-mavlink's stream splitter, which
 * would glue a torn packet to the next datagram).
 *
 * After a bad candidate the scan resumes one byte later (the length byte itself may be the
 * corrupted one). A run of bytes that ends up in no packet is one reject, under the reason its
 * first candidate failed, so one flipped byte is one `bad_crc`, however many start markers the
 * damaged packet happens to contain.
 */
export function frameMavlinkDatagram(datagram: Buffer): FramedDatagram {
  const frames: MavlinkFrame[] = [];
  const rejects: MavlinkReject[] = [];
  let run: { reason: MavlinkRejectReason; start: number } | undefined;
  const closeRun = (end: number): void => {
    if (run !== undefined) rejects.push({ reason: run.reason, bytes: end - run.start });
    run = undefined;
  };
  let offset = 0;
  while (offset < datagram.length) {
    const attempt = frameAt(datagram, offset);
    if ("frame" in attempt) {
      closeRun(offset);
      frames.push(attempt.frame);
      offset += attempt.frame.bytes.length;
      continue;
    }
    if (attempt.reason === "unknown_message") {
      // A well-formed packet of a dialect we do not know: skip it whole, and count it on its own.
      closeRun(offset);
      rejects.push({ reason: attempt.reason, bytes: attempt.skip });
    } else {
      run ??= { reason: attempt.reason, start: offset };
    }
    offset += attempt.skip;
  }
  closeRun(datagram.length);
  return { frames, rejects };
}

function frameAt(buf: Buffer, offset: number): Attempt {
  const stx = buf[offset];
  if (stx !== V1_STX && stx !== V2_STX) {
    const next = nextStart(buf, offset + 1);
    return { reason: "garbage", skip: next - offset };
  }
  const v2 = stx === V2_STX;
  const headerLength = v2 ? MavLinkProtocolV2.PAYLOAD_OFFSET : MavLinkProtocolV1.PAYLOAD_OFFSET;
  if (buf.length - offset < headerLength + CHECKSUM) return { reason: "truncated", skip: 1 };
  const payloadLength = buf[offset + 1] ?? 0;
  const flags = v2 ? (buf[offset + 2] ?? 0) : 0;
  // MAVLink 2 §"Incompatibility Flags": a packet with a flag we do not understand must be dropped.
  if ((flags & ~MavLinkProtocolV2.IFLAG_SIGNED) !== 0) return { reason: "unsupported_flags", skip: 1 };
  const signed = (flags & MavLinkProtocolV2.IFLAG_SIGNED) !== 0;
  const length = headerLength + payloadLength + CHECKSUM + (signed ? MavLinkPacketSignature.SIGNATURE_LENGTH : 0);
  if (buf.length - offset < length) return { reason: "truncated", skip: 1 };
  const bytes = buf.subarray(offset, offset + length);
  const protocol = v2 ? new MavLinkProtocolV2() : new MavLinkProtocolV1();
  const header = protocol.header(bytes);
  const magic = MSG_ID_MAGIC_NUMBER[header.msgid];
  if (magic === undefined) return { reason: "unknown_message", skip: length };
  const trim = CHECKSUM + (signed ? MavLinkPacketSignature.SIGNATURE_LENGTH : 0);
  // MAVLink serialization §"CRC_EXTRA": the checksum covers header and payload, then CRC_EXTRA.
  if (x25crc(bytes, 1, trim, magic) !== protocol.crc(bytes)) return { reason: "bad_crc", skip: 1 };
  const frame: MavlinkFrame = {
    version: v2 ? 2 : 1,
    sysid: header.sysid,
    compid: header.compid,
    seq: header.seq,
    msgid: header.msgid,
    bytes,
    protocol,
  };
  return { frame };
}

function nextStart(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] === V1_STX || buf[i] === V2_STX) return i;
  }
  return buf.length;
}
