/** The versions of the standard this receiver speaks, by the version number in `Flag`. */
export const STANDARD_VERSIONS = { 1: "2017", 2: "2025" } as const;
export type StandardVersion = (typeof STANDARD_VERSIONS)[keyof typeof STANDARD_VERSIONS];

export interface FlagBits {
  value: number;
  /** V5..V0: 0 = HJ/T 212-2005, 1 = HJ 212-2017, 2 = HJ 212-2025. */
  versionNumber: number;
  /** D: the data segment carries PNUM and PNO (a message split over several packets). */
  packetized: boolean;
  /** A: the sender wants an answer. */
  replyRequested: boolean;
}

/**
 * HJ 212-2017 §6.3.2 (Flag; HJ 212-2025 §6.3.3 表 3): bits `V5 V4 V3 V2 V1 V0 D A`, so Flag=4 is "2017, no answer",
 * 5 is "2017, answer", 7 is "2017, answer, packet numbers". HJ 212-2025 keeps the layout with
 * version 000010: Flag=8 / 9, and 10 / 11 with packet numbers.
 */
export function parseFlag(value: number): FlagBits {
  return {
    value,
    versionNumber: value >>> 2,
    packetized: (value & 0b10) !== 0,
    replyRequested: (value & 0b01) !== 0,
  };
}

export function versionOf(bits: FlagBits): StandardVersion | undefined {
  return STANDARD_VERSIONS[bits.versionNumber as keyof typeof STANDARD_VERSIONS];
}

/** The Flag of an answer: the sender's version, no packet numbers, no answer wanted (Flag=4 / 8). */
export function replyFlag(version: StandardVersion): number {
  return (version === "2017" ? 1 : 2) << 2;
}
