// Protocol Buffers wire format, just the parts ONNX needs.
// Reference: https://protobuf.dev/programming-guides/encoding/ ("Encoding" guide, cited as §name below).

/** §Message Structure: the wire types ONNX uses (3 and 4, groups, never appear in onnx.proto). */
export const WireType = { varint: 0, fixed64: 1, lengthDelimited: 2, fixed32: 5 } as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const utf8 = new TextEncoder();
const UINT64_MASK = (1n << 64n) - 1n;

/**
 * Appends fields to a growing buffer. A nested message is written by `message(field, write)`,
 * which encodes the inner message into its own writer first: its length must precede it.
 */
export class ProtobufWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  /** An int32/int64/uint64/enum/bool field (wire type 0). Negative values take 10 bytes (§Signed Integers). */
  int64(field: number, value: number | bigint): this {
    this.#tag(field, WireType.varint);
    this.#varint(value);
    return this;
  }

  /** A `float` field (wire type 5): 4 bytes, IEEE 754, little-endian (§Non-varint Numbers). */
  float(field: number, value: number): this {
    this.#tag(field, WireType.fixed32);
    this.#reserve(4);
    new DataView(this.#buf.buffer).setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** A `bytes` field (wire type 2): varint length, then the bytes (§Length-Delimited Records). */
  bytes(field: number, value: Uint8Array): this {
    this.#tag(field, WireType.lengthDelimited);
    this.#varint(value.length);
    this.#append(value);
    return this;
  }

  /** A `string` field: UTF-8 bytes, length-delimited. */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** An embedded message field: length-delimited, like `bytes` (§Length-Delimited Records). */
  message(field: number, write: (inner: ProtobufWriter) => void): this {
    const inner = new ProtobufWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** §Message Structure: a record starts with the varint `(field_number << 3) | wire_type`. */
  #tag(field: number, wire: WireType): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) throw new RangeError(`bad field number ${field}`);
    this.#varint(field * 8 + wire);
  }

  /** §Base 128 Varints: 7 bits per byte, least significant group first, MSB set on all but the last byte. */
  #varint(value: number | bigint): void {
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) {
      this.#reserve(8);
      let v = value;
      while (v >= 0x80) {
        this.#buf[this.#len++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.#buf[this.#len++] = v;
      return;
    }
    if (typeof value === "number" && !Number.isInteger(value)) throw new RangeError(`varint of non-integer ${value}`);
    // Two's complement over 64 bits, so -1 becomes ten bytes (§Signed Integers, int64 encoding).
    let v = BigInt.asUintN(64, BigInt(value)) & UINT64_MASK;
    this.#reserve(10);
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
  }

  #append(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  #reserve(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(need, this.#buf.length * 2));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }
}
