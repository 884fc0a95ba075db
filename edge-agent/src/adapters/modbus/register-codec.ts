import type { ByteOrder, ModbusDatatype } from "./config.ts";

/**
 * Turns the registers of one point into a number. Modbus itself defines only big-endian 16-bit
 * registers (Modbus Application Protocol V1.1b3 §4.2); how a device spreads a 32-bit value over
 * two of them varies, so the order is named per point: A is the most significant byte, and
 * ABCD / CDAB / BADC / DCBA list the bytes as they arrive, first register first.
 */
export function decodeRegisters(registers: ArrayLike<number>, datatype: ModbusDatatype, order: ByteOrder): number {
  if (datatype === "uint16" || datatype === "int16") {
    const r = registers[0] ?? 0;
    const swapped = order === "BADC" || order === "DCBA" ? ((r & 0xff) << 8) | (r >> 8) : r;
    return datatype === "int16" && swapped >= 0x8000 ? swapped - 0x10000 : swapped;
  }
  const view = new DataView(abcd(registers[0] ?? 0, registers[1] ?? 0, order).buffer);
  if (datatype === "float32") return view.getFloat32(0, false);
  if (datatype === "int32") return view.getInt32(0, false);
  return view.getUint32(0, false);
}

/** Rearranges two registers into big-endian bytes A B C D. */
function abcd(r0: number, r1: number, order: ByteOrder): Uint8Array {
  const b = [r0 >> 8, r0 & 0xff, r1 >> 8, r1 & 0xff] as const; // bytes as they arrived
  switch (order) {
    case "ABCD":
      return Uint8Array.of(b[0], b[1], b[2], b[3]);
    case "CDAB":
      return Uint8Array.of(b[2], b[3], b[0], b[1]);
    case "BADC":
      return Uint8Array.of(b[1], b[0], b[3], b[2]);
    case "DCBA":
      return Uint8Array.of(b[3], b[2], b[1], b[0]);
  }
}
