import { isBinaryEnvelope, readBinaryEnvelope } from "@lifeline/contracts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Payloads kept in quarantine are at most this long; the reason says if one was cut. */
export const MAX_QUARANTINED_PAYLOAD = 64 * 1024;

/**
 * Quarantined payloads are kept as text when they are UTF-8, else as `base64:…`. A binary envelope
 * (what the gateway packs) is kept as the JSON it stands for, so that quarantine reads the same
 * whichever form an envelope came in; as base64 when even its framing is broken.
 */
export function payloadText(data: Uint8Array): string {
  const bytes = data.byteLength > MAX_QUARANTINED_PAYLOAD ? data.subarray(0, MAX_QUARANTINED_PAYLOAD) : data;
  const base64 = () => `base64:${Buffer.from(bytes).toString("base64")}`;
  if (isBinaryEnvelope(data)) {
    try {
      return JSON.stringify(readBinaryEnvelope(data)).slice(0, MAX_QUARANTINED_PAYLOAD);
    } catch {
      return base64(); // its framing is broken
    }
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return base64();
  }
}
