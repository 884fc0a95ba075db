/** Bytes as upper-case hex, how SL 651 addresses, passwords and values are written and logged. */
export function hex2(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
}

export function hexOf(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start)
    .toString("hex")
    .toUpperCase();
}
