import { LifelineError } from "./lifeline-error.ts";
import { TELEMETRY_SUBJECT_PREFIX } from "./names.ts";

/**
 * A pack carries many encoded envelopes in one JetStream message, so that the stream and the
 * stream processor pay their per-message cost (a store, a delivery, an ack) once per pack
 * instead of once per envelope of three readings.
 *
 * Layout (all integers big-endian):
 *   "LLP1"                                   magic and version
 *   repeated: flags u8 | length u32 | bytes  one entry per envelope, bytes as the client sent them
 *                                            (binary, envelope-binary.ts, from Lifeline agents; or JSON)
 *
 * Flag bit 0 (`resend`): the sender said it may have sent this envelope before (MQTT DUP,
 * 3.1.1 §3.3.1.1); the stream processor then looks it up before writing it.
 */
export const PACK_MAGIC = Buffer.from("LLP1", "latin1");
const FLAG_RESEND = 0x01;
const ENTRY_HEAD = 5;

/** Packs are published on `tlm._pack.<site>`: three tokens, where envelope subjects have four. */
export const PACK_SUBJECT_TOKEN = "_pack";

export function packSubject(site: string): string {
  return `${TELEMETRY_SUBJECT_PREFIX}.${PACK_SUBJECT_TOKEN}.${site}`;
}

const PACK_PREFIX = `${TELEMETRY_SUBJECT_PREFIX}.${PACK_SUBJECT_TOKEN}.`;

/** By its token count too: a site may be called `_pack`, its envelopes' subjects have four tokens. */
export function isPackSubject(subject: string): boolean {
  return subject.startsWith(PACK_PREFIX) && subject.indexOf(".", PACK_PREFIX.length) === -1;
}

export interface PackEntry {
  payload: Uint8Array;
  resend: boolean;
}

export class PackError extends LifelineError {
  declare readonly code: "CONTRACT_PACK_MALFORMED";

  constructor(message: string) {
    super("CONTRACT_PACK_MALFORMED", message);
  }
}

/** The encoded size of a pack holding entries of these payload sizes. */
export function packSize(payloadBytes: number, entries: number): number {
  return PACK_MAGIC.length + payloadBytes + entries * ENTRY_HEAD;
}

export function encodePack(entries: readonly PackEntry[]): Buffer {
  let bytes = 0;
  for (const e of entries) bytes += e.payload.byteLength;
  const out = Buffer.allocUnsafe(packSize(bytes, entries.length));
  PACK_MAGIC.copy(out, 0);
  let at = PACK_MAGIC.length;
  for (const e of entries) {
    out[at] = e.resend ? FLAG_RESEND : 0;
    out.writeUInt32BE(e.payload.byteLength, at + 1);
    out.set(e.payload, at + ENTRY_HEAD);
    at += ENTRY_HEAD + e.payload.byteLength;
  }
  return out;
}

/**
 * The entries of a pack, as views into `data` (nothing is copied). Throws `PackError` naming the
 * byte offset when the framing is broken: a pack is taken whole or quarantined whole.
 */
export function decodePack(data: Uint8Array): PackEntry[] {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length < PACK_MAGIC.length || !bytes.subarray(0, PACK_MAGIC.length).equals(PACK_MAGIC)) {
    throw new PackError("not a pack: it does not start with LLP1");
  }
  const entries: PackEntry[] = [];
  let at = PACK_MAGIC.length;
  while (at < bytes.length) {
    if (at + ENTRY_HEAD > bytes.length) {
      throw new PackError(`entry ${entries.length} at byte ${at}: truncated header`);
    }
    const flags = bytes[at] as number;
    if ((flags & ~FLAG_RESEND) !== 0) {
      throw new PackError(`entry ${entries.length} at byte ${at}: unknown flags 0x${flags.toString(16)}`);
    }
    const length = bytes.readUInt32BE(at + 1);
    const start = at + ENTRY_HEAD;
    if (start + length > bytes.length) {
      throw new PackError(
        `entry ${entries.length} at byte ${at}: ${length} bytes declared, ${bytes.length - start} left`,
      );
    }
    entries.push({ payload: bytes.subarray(start, start + length), resend: (flags & FLAG_RESEND) !== 0 });
    at = start + length;
  }
  if (entries.length === 0) throw new PackError("empty pack");
  return entries;
}
