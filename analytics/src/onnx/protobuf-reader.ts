// Protocol Buffers wire format, read side: enough to walk a message's fields and skip the ones
// not asked for. Reference: https://protobuf.dev/programming-guides/encoding/ (cited as §name).
import { AnalyticsError } from "./analytics-error.ts";
import { WireType } from "./protobuf-writer.ts";

/** One record of a message: varints come back as bigint, everything else as a view of its bytes. */
export type ProtobufField =
  | { field: number; wire: typeof WireType.varint; value: bigint }
  | {
      field: number;
      wire: typeof WireType.lengthDelimited | typeof WireType.fixed64 | typeof WireType.fixed32;
      value: Uint8Array;
    };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Yields the fields of one message in the order they were written; throws ANALYTICS_MODEL_INVALID on malformed bytes. */
export function* protobufFields(bytes: Uint8Array): Generator<ProtobufField> {
  let pos = 0;
  const fail = (why: string): never => {
    throw new AnalyticsError("ANALYTICS_MODEL_INVALID", `not a protobuf message: ${why} at byte ${pos}`, { at: pos });
  };
  const varint = (): bigint => {
    let result = 0n;
    // §Base 128 Varints: at most 10 bytes for 64 bits.
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= bytes.length) return fail("truncated varint");
      const b = bytes[pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    return fail("varint longer than 10 bytes");
  };
  const take = (n: number): Uint8Array => {
    if (n > bytes.length - pos) fail(`a field of ${n} bytes runs past the end (${bytes.length} bytes)`);
    const view = bytes.subarray(pos, pos + n);
    pos += n;
    return view;
  };
  while (pos < bytes.length) {
    const tag = varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) fail("field number 0");
    if (wire === WireType.varint) yield { field, wire, value: varint() };
    else if (wire === WireType.lengthDelimited) yield { field, wire, value: take(Number(varint())) };
    else if (wire === WireType.fixed64) yield { field, wire, value: take(8) };
    else if (wire === WireType.fixed32) yield { field, wire, value: take(4) };
    else fail(`unsupported wire type ${wire}`);
  }
}

/** The UTF-8 text of a length-delimited field. */
export function fieldText(f: ProtobufField): string {
  if (f.wire !== WireType.lengthDelimited) throw wrongWire(f, "a string");
  try {
    return utf8.decode(f.value);
  } catch (cause) {
    throw new AnalyticsError(
      "ANALYTICS_MODEL_INVALID",
      `field ${f.field} is not UTF-8 text`,
      { field: f.field },
      cause,
    );
  }
}

/** The bytes of a length-delimited field (an embedded message or `bytes`). */
export function fieldBytes(f: ProtobufField): Uint8Array {
  if (f.wire !== WireType.lengthDelimited) throw wrongWire(f, "a message");
  return f.value;
}

/** An int64 field read as a signed number (two's complement, §Signed Integers). */
export function fieldInt(f: ProtobufField): number {
  if (f.wire !== WireType.varint) throw wrongWire(f, "a varint");
  return Number(BigInt.asIntN(64, f.value));
}

function wrongWire(f: ProtobufField, expected: string): AnalyticsError {
  return new AnalyticsError(
    "ANALYTICS_MODEL_INVALID",
    `field ${f.field} has wire type ${f.wire}, expected ${expected}`,
    {
      field: f.field,
      wire: f.wire,
    },
  );
}
