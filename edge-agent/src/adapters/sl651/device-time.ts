import { encodeBcd, requireBcd } from "./bcd.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

/**
 * RTUs send local time without a zone: the send time at the head of every body as BCD
 * YYMMDDhhmmss (SL 651-2014 §6.6) and the observation time after F0F0 as BCD YYMMDDhhmm
 * (appendix C, table C.1). The receiver is told its stations' zone as a fixed UTC offset
 * ("+08:00" for China, which has no DST).
 */
export const UTC_OFFSET_PATTERN = /^(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

/** "+08:00" → 480 (minutes east of UTC). */
export function parseUtcOffset(offset: string): number {
  if (!UTC_OFFSET_PATTERN.test(offset)) throw new RangeError(`expected a UTC offset like +08:00, got ${offset}`);
  if (offset === "Z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  return sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6)));
}

/** Epoch ms of BCD YYMMDDhhmm[ss] at `start` (5 or 6 bytes), read in the stations' zone. */
export function decodeDeviceTime(
  bytes: Uint8Array,
  start: number,
  length: 5 | 6,
  offsetMinutes: number,
  field: string,
): number {
  const parts: number[] = [];
  for (let i = 0; i < length; i++) parts.push(requireBcd(bytes, start + i, start + i + 1, field));
  const [yy = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = parts;
  const year = 2000 + yy;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(utc);
  if (
    month < 1 ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_TIME",
      `${field} 20${pad(yy)}-${pad(month)}-${pad(day)} ${pad(hour)}:${pad(minute)}:${pad(second)} is not a valid time`,
      { field, offset: start },
    );
  }
  return utc - offsetMinutes * 60_000;
}

/** BCD YYMMDDhhmmss of `epochMs` in the stations' zone, for the send time of a downlink frame. */
export function encodeDeviceTime(epochMs: number, offsetMinutes: number): Buffer {
  const local = new Date(epochMs + offsetMinutes * 60_000);
  return Buffer.concat(
    [
      local.getUTCFullYear() % 100,
      local.getUTCMonth() + 1,
      local.getUTCDate(),
      local.getUTCHours(),
      local.getUTCMinutes(),
      local.getUTCSeconds(),
    ].map((n) => encodeBcd(n, 1)),
  );
}

/** ISO 8601 in the stations' zone ("2026-07-01T06:00:00+08:00"), how people read RTU times. */
export function formatDeviceTime(epochMs: number, offsetMinutes: number): string {
  const local = new Date(epochMs + offsetMinutes * 60_000).toISOString().slice(0, 19);
  if (offsetMinutes === 0) return `${local}Z`;
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
