/**
 * The two CRC dialects met on HJ 212 links. Both use the reflected polynomial 0xA001 and start
 * at 0xFFFF; they differ in how a byte enters the register.
 *
 * HJ 212-2017 Appendix A (kept by HJ 212-2025 Appendix A.1): `crc = (crc >> 8) ^ byte`, then eight
 * shifts. The low byte of the register is thrown away at every step, so this is NOT
 * CRC-16/MODBUS, whose update is `crc ^= byte` (some vendors send that one anyway).
 * The CRC covers the data segment only, and is written as 4 hex digits (§6.3.1).
 */
import { crc16Modbus, CRC16_TABLE as TABLE } from "../crc16-modbus.ts";

export const CRC_DIALECTS = ["hj212", "modbus"] as const;
export type CrcDialect = (typeof CRC_DIALECTS)[number];

/** HJ 212-2017 Appendix A: after `(crc >> 8) ^ byte` the register holds one byte, so one lookup per byte. */
export function hj212Crc(data: Uint8Array): number {
  let crc = 0xffff;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc >>> 8) ^ (data[i] as number)] as number;
  return crc;
}

/** CRC-16/MODBUS (Modbus over serial line V1.02 §6.2.2), the dialect some HJ 212 loggers send. */
export function modbusCrc(data: Uint8Array): number {
  return crc16Modbus(data);
}

export function crcOf(dialect: CrcDialect, data: Uint8Array): number {
  return dialect === "hj212" ? hj212Crc(data) : modbusCrc(data);
}

/** Four upper-case hex digits, as HJ 212-2017 §6.3.1 writes the CRC field. */
export function formatCrc(crc: number): string {
  return crc.toString(16).toUpperCase().padStart(4, "0");
}
