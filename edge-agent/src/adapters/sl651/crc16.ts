import { crc16Modbus } from "../crc16-modbus.ts";

/**
 * SL 651-2014 §6.5.2: the check code is CRC-16 with the generator x^16 + x^15 + x^2 + 1 in its
 * reflected form 0xA001, initial value 0xFFFF (the CRC Modbus uses), computed over every byte
 * from the first 7E to the end character. Unlike Modbus, it is sent high byte first.
 */
export const crc16: (bytes: Uint8Array, start?: number, end?: number) => number = crc16Modbus;
