/** Wall-clock fields of an instant on a device whose clock runs at a fixed UTC offset. */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/** "+08:00" → 480. Chinese field devices keep Beijing time and China has no DST, so an offset is enough. */
export function utcOffsetMinutes(offset: string): number {
  const match = OFFSET.exec(offset);
  if (match === null) throw new RangeError(`expected a UTC offset such as +08:00, got "${offset}"`);
  const [, sign, hh, mm] = match;
  const minutes = Number(hh) * 60 + Number(mm);
  if (minutes > 14 * 60) throw new RangeError(`UTC offset ${offset} is out of range`);
  return sign === "-" ? -minutes : minutes;
}

export function localTime(ms: number, offsetMinutes: number): LocalTime {
  const d = new Date(ms + offsetMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
}

/** Hour of the local day as a fraction (13.5 at half past one in the afternoon). */
export function localHourOfDay(ms: number, offsetMinutes: number): number {
  const day = 86_400_000;
  const local = (((ms + offsetMinutes * 60_000) % day) + day) % day;
  return local / 3_600_000;
}

/** Start of the local window (minute, hour, day, 5 minutes…) that holds `ms`. */
export function localWindowStart(ms: number, offsetMinutes: number, windowMs: number): number {
  const shift = offsetMinutes * 60_000;
  return Math.floor((ms + shift) / windowMs) * windowMs - shift;
}

export const pad = (n: number, width = 2): string => String(n).padStart(width, "0");
