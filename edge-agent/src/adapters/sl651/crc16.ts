/**
 * SL 651-2014 §6.5.2: the check code is CRC-16 with the generator x^16 + x^15 + x^2 + 1 in its
 * reflected form 0xA001, initial value 0xFFFF (the CRC Modbus uses), computed over every byte
 * from the first 7E to the end character. Unlike Modbus, it is sent high byte first.
 */
const TABLE = buildTable();

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) {
    crc = (crc >>> 8) ^ (TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number);
  }
  return crc;
}

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
}
