import type { Quality } from "@lifeline/contracts";

/**
 * IEC 62541-4 §7.34.1: the two top bits of a StatusCode are its severity — 00 Good, 01 Uncertain,
 * 10 Bad; 11 is reserved and treated as Bad. Sub-codes and info bits do not change the quality.
 */
export function qualityOf(statusCode: number): Quality {
  switch (statusCode >>> 30) {
    case 0:
      return "good";
    case 1:
      return "uncertain";
    default:
      return "bad";
  }
}
