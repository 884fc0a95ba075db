import { UTC_OFFSET_PATTERN } from "@lifeline/contracts";

/** `+08:00`: the UTC offset of the loggers' wall clock (China Standard Time by default). */
export { UTC_OFFSET_PATTERN };

export function utcOffsetMinutes(offset: string): number {
  if (!UTC_OFFSET_PATTERN.test(offset)) throw new RangeError(`expected a UTC offset like +08:00, got "${offset}"`);
  const minutes = Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6));
  return offset.startsWith("-") ? -minutes : minutes;
}

/**
 * HJ 212-2017 §6.3.3 (数据区, DataTime): `YYYYMMDDhhmmss` on the logger's wall clock, which knows
 * no time zone: the receiver's offset says which. Returns epoch ms, or undefined when the text is
 * not a real date and time (month 13, 30 February, hour 24).
 */
export function parseDataTime(text: string, offsetMinutes: number): number | undefined {
  if (!/^\d{14}$/.test(text)) return undefined;
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(4, 6));
  const day = Number(text.slice(6, 8));
  const hour = Number(text.slice(8, 10));
  const minute = Number(text.slice(10, 12));
  const second = Number(text.slice(12, 14));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(local).getUTCDate() !== day) return undefined; // 30 February rolled over into March
  return local - offsetMinutes * 60_000;
}
