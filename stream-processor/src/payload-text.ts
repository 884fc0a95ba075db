const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Payloads kept in quarantine are at most this long; the reason says if one was cut. */
export const MAX_QUARANTINED_PAYLOAD = 64 * 1024;

/** Quarantined payloads are kept as text when they are UTF-8, else as `base64:…`. */
export function payloadText(data: Uint8Array): string {
  const bytes = data.byteLength > MAX_QUARANTINED_PAYLOAD ? data.subarray(0, MAX_QUARANTINED_PAYLOAD) : data;
  try {
    return utf8.decode(bytes);
  } catch {
    return `base64:${Buffer.from(bytes).toString("base64")}`;
  }
}
