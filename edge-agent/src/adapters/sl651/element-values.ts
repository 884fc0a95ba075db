import { decodeBcd } from "./bcd.ts";
import type { ElementEncoding } from "./element-table.ts";
import { hex2, hexOf } from "./hex.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

const NO_DATA = 0xff;

/**
 * The values carried by one element's data bytes, in order; `undefined` marks "no data".
 * Throws EDGE_SL651_BAD_BCD for a BCD value with a nibble above 9.
 */
export function decodeElementData(
  encoding: ElementEncoding,
  data: Uint8Array,
  decimals: number,
  where: string,
): Array<number | undefined> {
  switch (encoding) {
    case "bcd":
      return [decodeSignedBcd(data, decimals, where)];
    case "hex":
      return [data.reduce((n, b) => n * 256 + b, 0)];
    case "rain-5min":
      return Array.from(data, (b) => (b === NO_DATA ? undefined : b / 10));
    case "level-5min": {
      const values: Array<number | undefined> = [];
      for (let i = 0; i + 1 < data.length; i += 2) {
        const raw = ((data[i] as number) << 8) | (data[i + 1] as number);
        values.push(raw === 0xffff ? undefined : raw / 100);
      }
      return values;
    }
  }
}

/**
 * SL 651-2014 §6.6.3.3 a): a negative value is sent with FF as its first byte, the magnitude in
 * BCD in the bytes after it (the data-definition length counts the FF). All bytes FF: no data.
 */
export function decodeSignedBcd(data: Uint8Array, decimals: number, where: string): number | undefined {
  if (data.every((b) => b === NO_DATA)) return undefined;
  const negative = data.length > 1 && data[0] === NO_DATA;
  const digits = decodeBcd(data, negative ? 1 : 0);
  if (typeof digits !== "number") {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_BCD",
      `${where}: value ${hexOf(data)} is not BCD (byte 0x${hex2(data[digits.badByte] as number)})`,
      { value: hexOf(data) },
    );
  }
  const magnitude = digits / 10 ** decimals;
  return negative ? -magnitude : magnitude;
}

/** The inverse of decodeSignedBcd, for building test frames and simulators. */
export function encodeSignedBcd(value: number, byteLength: number, decimals: number): Buffer {
  const scaled = Math.round(Math.abs(value) * 10 ** decimals);
  const negative = value < 0 && scaled !== 0;
  const digitsBytes = negative ? byteLength - 1 : byteLength;
  if (digitsBytes < 1 || scaled >= 10 ** (digitsBytes * 2)) {
    throw new RangeError(`${value} does not fit ${byteLength} BCD bytes with ${decimals} decimals`);
  }
  const out = Buffer.alloc(byteLength);
  let rest = scaled;
  for (let i = byteLength - 1; i >= (negative ? 1 : 0); i--) {
    const two = rest % 100;
    out[i] = (Math.floor(two / 10) << 4) | (two % 10);
    rest = Math.floor(rest / 100);
  }
  if (negative) out[0] = NO_DATA;
  return out;
}
