/**
 * CRC-16/MODBUS (Modbus over Serial Line V1.02 §6.2.2): reflected polynomial 0xA001, initial
 * 0xFFFF, `crc ^= byte` then eight shifts. SL 651-2014 frames end with it (high byte first), and
 * some HJ 212 loggers send it instead of the HJ 212 Appendix A CRC.
 */
export function crc16Modbus(data: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}
