import { crc16Modbus } from "../crc16-modbus.ts";
import type { AnswerEvent, AnswerParser } from "../field-link.ts";

/** SL 651-2014 table 10, control characters of the HEX/BCD format. */
export const STX = 0x02;
export const SYN = 0x16;
export const ETX = 0x03;
export const ETB = 0x17;
export const EOT = 0x04;
export const ESC = 0x1b;

/** The 12-bit length field of §6.4 (table 16). */
export const MAX_SL651_BODY = 4095;

/** Who sends: the centre's 1-byte address, the station's 5-byte address, the 2-byte password. */
export interface Sl651Station {
  centre: number;
  /** 10 hex digits, as in the frame header. */
  station: string;
  /** 4 hex digits. */
  password: string;
}

export interface Sl651UplinkSpec extends Sl651Station {
  fn: number;
  body: Buffer;
}

export interface Sl651PacketNumber {
  count: number;
  seq: number;
}

/**
 * One uplink frame (SL 651-2014 §6.5.2, table 11): `7E7E`, centre address, station address,
 * password, function code, direction 0 (up) + body length in the lower 12 bits, `STX` (or `SYN`
 * and the 3-byte packet number, counted in the length), body, `ETX` (or `ETB` before further
 * packets), and CRC-16/MODBUS over everything before it, high byte first.
 */
export function encodeSl651Frame(
  spec: Sl651UplinkSpec,
  options: { packet?: Sl651PacketNumber; corruptCrc?: boolean } = {},
): Buffer {
  const { packet } = options;
  const packetBytes = packet === undefined ? Buffer.alloc(0) : packetNumber(packet);
  const length = packetBytes.length + spec.body.length;
  if (length < 1 || length > MAX_SL651_BODY) throw new RangeError(`an SL 651 body is 1..4095 bytes, not ${length}`);
  if (!/^[0-9A-Fa-f]{10}$/.test(spec.station))
    throw new RangeError(`station address "${spec.station}" is not 10 hex digits`);
  if (!/^[0-9A-Fa-f]{4}$/.test(spec.password)) throw new RangeError(`password "${spec.password}" is not 4 hex digits`);
  const head = Buffer.alloc(14);
  head.writeUInt16BE(0x7e7e, 0);
  head.writeUInt8(spec.centre, 2);
  Buffer.from(spec.station, "hex").copy(head, 3);
  Buffer.from(spec.password, "hex").copy(head, 8);
  head.writeUInt8(spec.fn, 10);
  head.writeUInt16BE(length, 11); // upper nibble 0: uplink (table 16)
  head.writeUInt8(packet === undefined ? STX : SYN, 13);
  const last = packet === undefined || packet.seq === packet.count;
  const covered = Buffer.concat([head, packetBytes, spec.body, Buffer.from([last ? ETX : ETB])]);
  let crc = crc16Modbus(covered);
  if (options.corruptCrc === true) crc ^= 0x0001;
  const tail = Buffer.alloc(2);
  tail.writeUInt16BE(crc, 0);
  return Buffer.concat([covered, tail]);
}

/**
 * A message as the frames that carry it: one `STX` frame, or, when the body is longer than
 * `maxBodyBytes`, packets (multi-packet transmission M3): `SYN`, packet count in the upper 12
 * bits and sequence number from 1 in the lower 12 bits, the body cut in order, `ETB` on every
 * packet but the last, which ends with `ETX`.
 */
export function encodeSl651Message(
  spec: Sl651UplinkSpec,
  options: { maxBodyBytes?: number; corruptCrc?: boolean } = {},
): Buffer[] {
  const max = Math.min(options.maxBodyBytes ?? MAX_SL651_BODY, MAX_SL651_BODY);
  if (spec.body.length <= max) return [encodeSl651Frame(spec, { corruptCrc: options.corruptCrc })];
  const chunk = Math.min(max, MAX_SL651_BODY - 3);
  if (chunk < 1) throw new RangeError(`maxBodyBytes ${options.maxBodyBytes} leaves no room for a body`);
  const count = Math.ceil(spec.body.length / chunk);
  if (count > 4095)
    throw new RangeError(`a message of ${spec.body.length} bytes needs ${count} packets, more than 4095`);
  return Array.from({ length: count }, (_, i) =>
    encodeSl651Frame(
      { ...spec, body: spec.body.subarray(i * chunk, (i + 1) * chunk) },
      { packet: { count, seq: i + 1 }, corruptCrc: options.corruptCrc === true && i === 0 },
    ),
  );
}

function packetNumber({ count, seq }: Sl651PacketNumber): Buffer {
  if (count < 1 || count > 4095 || seq < 1 || seq > count) throw new RangeError(`bad packet number ${seq}/${count}`);
  const value = (count << 12) | seq;
  return Buffer.from([(value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/**
 * The RTU's side of confirmations: downlink frames (direction 8) for this station whose CRC
 * checks and whose end character is `ESC` (confirmed, stay online) or `EOT` (confirmed, may hang
 * up). A confirmation answers the report with the same function code and serial number (the
 * first two body bytes).
 */
export function sl651AnswerParser(station: string): AnswerParser {
  const own = station.toUpperCase();
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const events: AnswerEvent[] = [];
    for (;;) {
      const start = buffered.indexOf(START);
      if (start < 0) {
        if (buffered.length > 1 || (buffered.length === 1 && buffered[0] !== 0x7e)) {
          events.push({ problem: "bytes outside a frame" });
        }
        buffered =
          buffered.length > 0 && buffered[buffered.length - 1] === 0x7e ? buffered.subarray(-1) : Buffer.alloc(0);
        break;
      }
      if (start > 0) {
        events.push({ problem: `${start} bytes before 7E7E` });
        buffered = buffered.subarray(start);
      }
      if (buffered.length < 14) break;
      const word = buffered.readUInt16BE(11);
      if (word >>> 12 !== 8) {
        events.push({ problem: `direction ${word >>> 12} is not a downlink frame` });
        buffered = buffered.subarray(2);
        continue;
      }
      const total = 14 + (word & 0x0fff) + 3;
      if (buffered.length < total) break;
      const frame = buffered.subarray(0, total);
      buffered = buffered.subarray(total);
      events.push(readConfirmation(frame, own));
    }
    return events;
  };
}

const START = Buffer.from([0x7e, 0x7e]);

function readConfirmation(frame: Buffer, station: string): AnswerEvent {
  const crc = crc16Modbus(frame.subarray(0, frame.length - 2));
  if (crc !== frame.readUInt16BE(frame.length - 2)) return { problem: "bad CRC" };
  const to = frame.subarray(2, 7).toString("hex").toUpperCase();
  if (to !== station) return { problem: `for station ${to}` };
  const end = frame[frame.length - 3];
  if (end !== ESC && end !== EOT) return { problem: `end character ${end} is no confirmation` };
  if (frame.length < 14 + 2 + 3) return { problem: "no serial number" };
  return { key: sl651Key(frame[10] as number, frame.readUInt16BE(14)) };
}

/** How a message and its confirmation are matched: function code and serial number. */
export function sl651Key(fn: number, serial: number): string {
  return `${fn.toString(16).toUpperCase().padStart(2, "0")}:${serial}`;
}
