import { crc16Modbus } from "../crc16-modbus.ts";

/** The two CRCs met on HJ 212 links: the standard's, and CRC-16/MODBUS that some loggers send. */
export type Hj212CrcDialect = "hj212" | "modbus";

/**
 * HJ 212-2017 Appendix A (kept by HJ 212-2025): start at 0xFFFF; per byte `crc = (crc >> 8) ^ byte`,
 * then eight shifts right, xoring 0xA001 when the bit shifted out is 1. Unlike CRC-16/MODBUS
 * (`crc ^= byte`) the low byte of the register is thrown away at every byte.
 */
export function hj212Crc(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc = (crc >>> 8) ^ byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function hj212CrcOf(dialect: Hj212CrcDialect, data: Uint8Array): number {
  return dialect === "hj212" ? hj212Crc(data) : crc16Modbus(data);
}
