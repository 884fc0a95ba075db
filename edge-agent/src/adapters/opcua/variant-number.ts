import "./node-opcua-preload.ts";
import { DataType, type Variant, VariantArrayType } from "node-opcua-client";

export type NumberResult = { ok: true; value: number } | { ok: false; reason: string; empty: boolean };

/**
 * The number a Variant carries (IEC 62541-6 §5.2.2.16): integers and floats as they are, a
 * Boolean as 0/1, Int64/UInt64 from node-opcua's [high, low] pair of unsigned 32-bit words.
 * Everything else — strings, structures, arrays, NaN, ±Inf — is refused with a reason.
 */
export function numberFromVariant(variant: Variant | null | undefined): NumberResult {
  if (!variant || variant.dataType === DataType.Null) return { ok: false, reason: "no value", empty: true };
  const type = DataType[variant.dataType] ?? `DataType ${variant.dataType}`;
  if (variant.arrayType !== VariantArrayType.Scalar) {
    const length = (variant.value as ArrayLike<unknown> | null)?.length ?? 0;
    return { ok: false, reason: `an array of ${length} ${type}, expected a scalar`, empty: false };
  }
  const value: unknown = variant.value;
  switch (variant.dataType) {
    case DataType.Boolean:
      return { ok: true, value: value ? 1 : 0 };
    case DataType.SByte:
    case DataType.Byte:
    case DataType.Int16:
    case DataType.UInt16:
    case DataType.Int32:
    case DataType.UInt32:
    case DataType.Float:
    case DataType.Double:
      return finiteNumber(value, type);
    case DataType.Int64:
      return int64(value, true);
    case DataType.UInt64:
      return int64(value, false);
    default:
      return { ok: false, reason: `a ${type} is not numeric`, empty: false };
  }
}

function finiteNumber(value: unknown, type: string): NumberResult {
  if (typeof value === "number" && Number.isFinite(value)) return { ok: true, value };
  return { ok: false, reason: `${type} ${String(value)} is not a finite number`, empty: false };
}

/**
 * IEC 62541-6 §5.2.2.2: 64-bit integers are two's complement. node-opcua hands them over as
 * [high, low], each an unsigned 32-bit word. Magnitudes above 2^53 round to the nearest double.
 */
export function int64(value: unknown, signed: boolean): NumberResult {
  const [high, low] = Array.isArray(value) && value.length === 2 ? value : [];
  if (!isUInt32(high) || !isUInt32(low)) {
    return { ok: false, reason: `expected a [high, low] pair of 32-bit words, got ${String(value)}`, empty: false };
  }
  const word = (BigInt(high) << 32n) | BigInt(low);
  return { ok: true, value: Number(signed ? BigInt.asIntN(64, word) : word) };
}

function isUInt32(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;
}
