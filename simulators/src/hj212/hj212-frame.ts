import type { AnswerEvent, AnswerParser } from "../field-link.ts";
import { type Hj212CrcDialect, hj212CrcOf } from "./hj212-crc.ts";

/** The header fields of a data segment, in the order of HJ 212-2017 §6.3.2 表 3. */
export interface Hj212Header {
  qn: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  flag: number;
}

export interface Hj212FrameOptions {
  crc?: Hj212CrcDialect;
  /** Send a CRC one off the right one, as a line error would leave it. */
  corruptCrc?: boolean;
}

/** HJ 212-2017 §6.3.1: the data segment may be at most 9999 bytes by its 4-digit length field. */
export const MAX_HJ212_SEGMENT = 9999;

/** HJ 212-2017 §6.3.2 / §6.3.3: `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&<data area>&&`. */
export function hj212DataSegment(header: Hj212Header, dataArea: string): string {
  const { qn, st, cn, pw, mn, flag } = header;
  return `QN=${qn};ST=${st};CN=${cn};PW=${pw};MN=${mn};Flag=${flag};CP=&&${dataArea}&&`;
}

/**
 * HJ 212-2017 §6.3.1: `##`, the data segment's length in bytes as 4 decimal digits, the data
 * segment, its CRC as 4 upper-case hex digits, CR LF.
 */
export function encodeHj212Frame(segment: string, options: Hj212FrameOptions = {}): Buffer {
  const data = Buffer.from(segment, "utf8");
  if (data.length > MAX_HJ212_SEGMENT) {
    throw new RangeError(`an HJ 212 data segment holds at most ${MAX_HJ212_SEGMENT} bytes, this one ${data.length}`);
  }
  let crc = hj212CrcOf(options.crc ?? "hj212", data);
  if (options.corruptCrc === true) crc = (crc + 1) & 0xffff;
  const crcText = crc.toString(16).toUpperCase().padStart(4, "0");
  return Buffer.concat([
    Buffer.from(`##${String(data.length).padStart(4, "0")}`, "ascii"),
    data,
    Buffer.from(`${crcText}\r\n`, "ascii"),
  ]);
}

/** Reads one header field (`QN`, `CN`, …) from the part of a data segment before `CP=`. */
export function headerField(segment: string, name: string): string | undefined {
  const head = segment.split("CP=&&")[0] ?? "";
  for (const item of head.split(";")) {
    const eq = item.indexOf("=");
    if (eq > 0 && item.slice(0, eq) === name) return item.slice(eq + 1);
  }
  return undefined;
}

/**
 * The logger's side of the answers: frames from the platform, checked with the logger's CRC
 * dialect (the receiver answers in the dialect of the request). The data response 9014 and the
 * notification response 9013 (HJ 212-2017 §6.6.5 表 9) answer the request whose QN they carry.
 */
export function hj212AnswerParser(dialect: Hj212CrcDialect): AnswerParser {
  let buffered = "";
  return (chunk) => {
    buffered += chunk.toString("latin1");
    const events: AnswerEvent[] = [];
    for (;;) {
      const start = buffered.indexOf("##");
      if (start < 0) {
        if (buffered.replace(/#$/, "").length > 0) events.push({ problem: "bytes outside a frame" });
        buffered = buffered.endsWith("#") ? "#" : "";
        break;
      }
      if (start > 0) {
        events.push({ problem: `${start} bytes before ##` });
        buffered = buffered.slice(start);
      }
      if (buffered.length < 6) break;
      const lengthField = buffered.slice(2, 6);
      if (!/^\d{4}$/.test(lengthField)) {
        events.push({ problem: `length field "${lengthField}" is not 4 digits` });
        buffered = buffered.slice(2);
        continue;
      }
      const length = Number(lengthField);
      if (buffered.length < 6 + length + 6) break;
      const frame = buffered.slice(0, 6 + length + 6);
      buffered = buffered.slice(frame.length);
      events.push(readAnswer(frame, length, dialect));
    }
    return events;
  };
}

function readAnswer(frame: string, length: number, dialect: Hj212CrcDialect): AnswerEvent {
  const segment = frame.slice(6, 6 + length);
  const crcField = frame.slice(6 + length, 10 + length);
  if (frame.slice(10 + length) !== "\r\n") return { problem: "frame does not end with CR LF" };
  const crc = hj212CrcOf(dialect, Buffer.from(segment, "latin1"));
  if (Number.parseInt(crcField, 16) !== crc || !/^[0-9A-Fa-f]{4}$/.test(crcField)) {
    return { problem: `bad CRC ${crcField}` };
  }
  const cn = headerField(segment, "CN");
  const qn = headerField(segment, "QN");
  if ((cn === "9014" || cn === "9013") && qn !== undefined) return { key: qn };
  return { problem: `CN=${cn ?? "?"} is not an answer this logger waits for` };
}
