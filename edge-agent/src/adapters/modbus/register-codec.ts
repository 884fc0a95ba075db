import type { ByteOrder, ModbusDatatype } from "./config.ts";

/**
 * Puts registers into big-endian byte order (A first). Modbus defines only big-endian 16-bit
 * registers (Modbus Application Protocol V1.1b3 §4.2); how a device spreads a wider value over
 * several of them varies, so the order is named per point (see BYTE_ORDERS).
 */
export function toBigEndianBytes(registers: ArrayLike<number>, order: ByteOrder): Uint8Array {
  const n = registers.length;
  const bytes = new Uint8Array(n * 2);
  const swapBytes = order === "BADC" || order === "DCBA";
  const reverseWords = order === "CDAB" || order === "DCBA";
  for (let i = 0; i < n; i++) {
    const r = registers[reverseWords ? n - 1 - i : i] ?? 0;
    bytes[2 * i] = swapBytes ? r & 0xff : r >> 8;
    bytes[2 * i + 1] = swapBytes ? r >> 8 : r & 0xff;
  }
  return bytes;
}

/** The inverse of {@link toBigEndianBytes}: big-endian bytes A B C … into registers in the device's order. */
export function fromBigEndianBytes(bytes: Uint8Array, order: ByteOrder): number[] {
  const n = bytes.length / 2;
  const swapBytes = order === "BADC" || order === "DCBA";
  const reverseWords = order === "CDAB" || order === "DCBA";
  const registers = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const hi = bytes[2 * i] ?? 0;
    const lo = bytes[2 * i + 1] ?? 0;
    registers[reverseWords ? n - 1 - i : i] = swapBytes ? (lo << 8) | hi : (hi << 8) | lo;
  }
  return registers;
}

export interface DecodeOptions {
  /** For `bit`: which bit, 0 = least significant. */
  bit?: number | undefined;
}

/**
 * Turns the registers of one point into its raw value. 64-bit integers beyond ±2^53 lose
 * precision as JavaScript numbers (readings are stored as Float64 anyway). Strings are ASCII,
 * NUL- and space-trimmed.
 */
export function decodeRegisters(
  registers: ArrayLike<number>,
  datatype: ModbusDatatype,
  order: ByteOrder,
  options: DecodeOptions = {},
): number | string {
  if (datatype === "bool") return registers[0] ? 1 : 0;
  if (datatype === "bit") return ((registers[0] ?? 0) >> (options.bit ?? 0)) & 1;
  const bytes = toBigEndianBytes(registers, order);
  const view = new DataView(bytes.buffer);
  switch (datatype) {
    case "uint16":
      return view.getUint16(0);
    case "int16":
      return view.getInt16(0);
    case "uint32":
      return view.getUint32(0);
    case "int32":
      return view.getInt32(0);
    case "uint64":
      return Number(view.getBigUint64(0));
    case "int64":
      return Number(view.getBigInt64(0));
    case "float32":
      return view.getFloat32(0);
    case "float64":
      return view.getFloat64(0);
    case "string":
      return new TextDecoder("latin1").decode(bytes).replace(/[\0 ]+$/, "");
  }
}

/**
 * Encodes a raw value for writing: the registers that {@link decodeRegisters} would read back
 * as `value`. Integers are rounded and must fit their type.
 */
export function encodeRegisters(
  value: number | string,
  datatype: Exclude<ModbusDatatype, "bool" | "bit">,
  order: ByteOrder,
  length = 1,
): number[] {
  const width = {
    uint16: 2,
    int16: 2,
    uint32: 4,
    int32: 4,
    uint64: 8,
    int64: 8,
    float32: 4,
    float64: 8,
    string: 2 * length,
  };
  const bytes = new Uint8Array(width[datatype]);
  const view = new DataView(bytes.buffer);
  if (datatype === "string") {
    const text = String(value);
    for (let i = 0; i < bytes.length && i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
    return fromBigEndianBytes(bytes, order);
  }
  const n = Number(value);
  const int = Math.round(n);
  const ranges = {
    uint16: [0, 0xffff],
    int16: [-0x8000, 0x7fff],
    uint32: [0, 0xffffffff],
    int32: [-0x80000000, 0x7fffffff],
    uint64: [0, Number.MAX_SAFE_INTEGER],
    int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  } as const;
  if (datatype in ranges) {
    const [min, max] = ranges[datatype as keyof typeof ranges];
    if (!Number.isFinite(n) || int < min || int > max) throw new RangeError(`${value} does not fit ${datatype}`);
  }
  switch (datatype) {
    case "uint16":
      view.setUint16(0, int);
      break;
    case "int16":
      view.setInt16(0, int);
      break;
    case "uint32":
      view.setUint32(0, int);
      break;
    case "int32":
      view.setInt32(0, int);
      break;
    case "uint64":
      view.setBigUint64(0, BigInt(int));
      break;
    case "int64":
      view.setBigInt64(0, BigInt(int));
      break;
    case "float32":
      view.setFloat32(0, n);
      break;
    case "float64":
      view.setFloat64(0, n);
      break;
  }
  return fromBigEndianBytes(bytes, order);
}
