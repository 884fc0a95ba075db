/**
 * Strings read from envelope bytes, made once: the same few come again and again (a site's ids,
 * its metrics and units), so one made before is handed out again instead of a new one (a string
 * from bytes cost ~0.12 µs, and every copy is garbage a moment later). Both envelope readers, the
 * binary and the JSON one, look their ASCII strings up here; a slot holds the last string that
 * hashed to it.
 */

const SLOTS = 4096;
const table: string[] = new Array(SLOTS).fill("");

/** One step of the hash a reader computes over a string's bytes while it checks them, from 0. */
export const hashByte = (h: number, byte: number): number => (Math.imul(h, 31) + byte) | 0;

/**
 * The string of the ASCII bytes `b[start, end)`, whose {@link hashByte} hash is `hash`. The bytes
 * must be ASCII (below 0x80): they are compared with the string's character codes.
 */
export function internedAscii(b: Uint8Array, start: number, end: number, hash: number): string {
  const n = end - start;
  const slot = (Math.imul(hash, 31) + n) & (SLOTS - 1);
  const hit = table[slot] as string;
  if (hit.length === n) {
    let i = 0;
    while (i < n && hit.charCodeAt(i) === b[start + i]) i++;
    if (i === n) return hit;
  }
  const fresh = latin1(b, start, end);
  table[slot] = fresh;
  return fresh;
}

function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString("latin1");
}
