import { hex2, hexOf } from "./hex.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

/** A packed BCD byte holds two decimal digits, high nibble first (SL 651-2014 §6.6.3.3). */
export function isBcdByte(byte: number): boolean {
  return (byte & 0x0f) <= 9 && byte >> 4 <= 9;
}

/** Decimal value of packed BCD bytes, or the index of the first byte that is not BCD. */
export function decodeBcd(bytes: Uint8Array, start = 0, end = bytes.length): number | { badByte: number } {
  let value = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (!isBcdByte(b)) return { badByte: i };
    value = value * 100 + (b >> 4) * 10 + (b & 0x0f);
  }
  return value;
}

/** Decodes BCD that must be valid, naming the field when it is not. */
export function requireBcd(bytes: Uint8Array, start: number, end: number, field: string): number {
  const value = decodeBcd(bytes, start, end);
  if (typeof value === "number") return value;
  throw new Sl651CodecError(
    "EDGE_SL651_BAD_BCD",
    `${field} ${hexOf(bytes, start, end)} is not BCD (byte 0x${hex2(bytes[value.badByte] as number)})`,
    { field, offset: value.badByte },
  );
}

/** `value` (a non-negative integer) as `byteLength` packed BCD bytes. */
export function encodeBcd(value: number, byteLength: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 10 ** (byteLength * 2)) {
    throw new RangeError(`${value} does not fit in ${byteLength} BCD bytes`);
  }
  const out = Buffer.alloc(byteLength);
  let rest = value;
  for (let i = byteLength - 1; i >= 0; i--) {
    const two = rest % 100;
    out[i] = (Math.floor(two / 10) << 4) | (two % 10);
    rest = Math.floor(rest / 100);
  }
  return out;
}
