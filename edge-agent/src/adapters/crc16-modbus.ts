/**
 * CRC-16/MODBUS (Modbus over Serial Line V1.02 §6.2.2): reflected polynomial 0xA001, initial value
 * 0xFFFF. SL 651-2014 uses it for its frames, and some HJ 212 loggers send it instead of their own.
 */

/** `CRC16_TABLE[x]` = eight reflected shifts of the 8-bit value x with polynomial 0xA001. */
export const CRC16_TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let x = 0; x < 256; x++) {
    let r = x;
    for (let bit = 0; bit < 8; bit++) r = r & 1 ? (r >>> 1) ^ 0xa001 : r >>> 1;
    table[x] = r;
  }
  return table;
})();

export function crc16Modbus(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (CRC16_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}
