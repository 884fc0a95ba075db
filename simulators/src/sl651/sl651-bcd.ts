import { type LocalTime, localTime, pad } from "../local-time.ts";

/** How many bytes a value's BCD takes and how many of its digits are decimals (SL 651-2014 §6.6.3.2). */
export interface ElementLayout {
  bytes: number;
  decimals: number;
}

/** Packed BCD, two digits a byte, of a string of an even number of decimal digits. */
export function bcd(digits: string): Buffer {
  if (!/^(\d\d)*$/.test(digits)) throw new RangeError(`cannot pack "${digits}" as BCD: need an even number of digits`);
  return Buffer.from(digits, "hex");
}

/**
 * SL 651-2014 §6.6 (message body): the send time is BCD `YYMMDDhhmmss`, the observation time (`F0F0`) BCD
 * `YYMMDDhhmm`, both on the station's clock.
 */
export function bcdTime(ms: number, offsetMinutes: number, withSeconds: boolean): Buffer {
  const l: LocalTime = localTime(ms, offsetMinutes);
  const minutes = `${pad(l.year % 100)}${pad(l.month)}${pad(l.day)}${pad(l.hour)}${pad(l.minute)}`;
  return bcd(withSeconds ? `${minutes}${pad(l.second)}` : minutes);
}

/** Table 26: the data-definition byte holds the byte count in its upper 5 bits, the decimals in the lower 3. */
export function dataDefinition(layout: ElementLayout): number {
  if (layout.bytes < 1 || layout.bytes > 31 || layout.decimals < 0 || layout.decimals > 7) {
    throw new RangeError(`no data definition for ${layout.bytes} bytes with ${layout.decimals} decimals`);
  }
  return (layout.bytes << 3) | layout.decimals;
}

/**
 * A value's BCD in `layout`. SL 651-2014 §6.6.3.3 a): a negative value is written with a first
 * byte FF, counted in the length, before the BCD of its magnitude; so when `signed` the field is
 * one byte longer than `layout` (FF then the magnitude, or 00 then the magnitude).
 */
export function bcdValue(value: number, layout: ElementLayout, signed?: boolean): Buffer {
  const magnitude = Math.round(Math.abs(value) * 10 ** layout.decimals);
  const negative = value < 0 && magnitude > 0; // -0.0004 to 3 decimals is 0.000, not -0.000
  const digits = String(magnitude).padStart(layout.bytes * 2, "0");
  if (digits.length > layout.bytes * 2) {
    throw new RangeError(`${value} does not fit ${layout.bytes} BCD bytes with ${layout.decimals} decimals`);
  }
  const body = bcd(digits);
  if (!(signed ?? negative)) return body;
  return Buffer.concat([Buffer.from([negative ? 0xff : 0x00]), body]);
}

/** Identifier, data definition and value of one element (§6.6.3.2); a negative value widens the field by its FF. */
export function encodeElement(id: number, value: number, layout: ElementLayout): Buffer {
  return encodeRepeatedElement(id, [value], layout);
}

/**
 * One identifier and definition followed by several values of the same layout, as the
 * evenly-timed report (31, §6.6.4.4) carries its series. If any value is negative, all take the
 * signed (one byte wider) layout so that they stay the same length.
 */
export function encodeRepeatedElement(id: number, values: readonly number[], layout: ElementLayout): Buffer {
  const signed = values.some((v) => Math.round(v * 10 ** layout.decimals) < 0);
  const definition = dataDefinition(signed ? { ...layout, bytes: layout.bytes + 1 } : layout);
  return Buffer.concat([Buffer.from([id, definition]), ...values.map((v) => bcdValue(v, layout, signed))]);
}
