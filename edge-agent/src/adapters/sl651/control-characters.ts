import { hex2 } from "./hex.ts";

/**
 * Control characters of the HEX/BCD frame, SL 651-2014 Table 10 ("控制字符定义").
 * An uplink frame ends with ETX (no more packets) or ETB (more packets follow, §6.3.2.5); a
 * downlink frame ends with ENQ (query or command), ACK (confirmed, go on), NAK (send a packet
 * again), EOT (confirmed, you may hang up) or ESC (confirmed, stay online for 10 minutes).
 */
export const FRAME_START = 0x7e;
export const STX = 0x02;
export const SYN = 0x16;
export const ETX = 0x03;
export const ETB = 0x17;
export const ENQ = 0x05;
export const EOT = 0x04;
export const ACK = 0x06;
export const NAK = 0x15;
export const ESC = 0x1b;

const END_CHARACTER_NAMES: ReadonlyMap<number, string> = new Map([
  [ETX, "ETX"],
  [ETB, "ETB"],
  [ENQ, "ENQ"],
  [EOT, "EOT"],
  [ACK, "ACK"],
  [NAK, "NAK"],
  [ESC, "ESC"],
]);

export type EndCharacterName = "ETX" | "ETB" | "ENQ" | "EOT" | "ACK" | "NAK" | "ESC";

export function isEndCharacter(byte: number): boolean {
  return END_CHARACTER_NAMES.has(byte);
}

export function endCharacterName(byte: number): EndCharacterName {
  const name = END_CHARACTER_NAMES.get(byte);
  if (name === undefined) throw new RangeError(`0x${hex2(byte)} is not an SL 651 end character`);
  return name as EndCharacterName;
}

export const END_CHARACTER_BYTES: Readonly<Record<EndCharacterName, number>> = {
  ETX,
  ETB,
  ENQ,
  EOT,
  ACK,
  NAK,
  ESC,
};
