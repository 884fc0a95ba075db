import { isBinaryEnvelope, readBinaryEnvelopeHead } from "@lifeline/contracts";
import type { JournalRecord } from "./journal/journal.ts";

/** Envelopes lost to the journal's overflow policy: counted exactly, so that a loss is reported, never silent. */
export interface JournalLoss {
  envelopes: number;
  readings: number;
  /** The (bootId, seq) ranges lost, as `bootId:first-last`. */
  ranges: string[];
  /** Lost records that did not even decode (their readings cannot be counted). */
  unreadable: number;
}

/** Counts the envelopes and readings of lost journal records (each an encoded envelope). */
export function journalLoss(records: readonly Pick<JournalRecord, "payload">[]): JournalLoss {
  const loss: JournalLoss = { envelopes: records.length, readings: 0, ranges: [], unreadable: 0 };
  let range: { boot: string; first: number; last: number } | undefined;
  const close = () => {
    if (range !== undefined) loss.ranges.push(`${range.boot}:${range.first}-${range.last}`);
  };
  for (const record of records) {
    const e = parseEnvelopeHead(record.payload);
    if (e === undefined) {
      loss.unreadable++; // still counted as a lost envelope; its sequence number shows as a gap
      continue;
    }
    loss.readings += e.readings;
    if (range !== undefined && range.boot === e.bootId && range.last + 1 === e.seq) range.last = e.seq;
    else {
      close();
      range = { boot: e.bootId, first: e.seq, last: e.seq };
    }
  }
  close();
  return loss;
}

/** Boot id, sequence and reading count of a record: binary (as the agent writes) or JSON (earlier journals). */
function parseEnvelopeHead(payload: Uint8Array): { bootId: string; seq: number; readings: number } | undefined {
  try {
    if (isBinaryEnvelope(payload)) return readBinaryEnvelopeHead(payload);
    const e = JSON.parse(Buffer.from(payload).toString("utf8")) as {
      bootId?: unknown;
      seq?: unknown;
      readings?: unknown;
    };
    if (typeof e.bootId !== "string" || typeof e.seq !== "number" || !Array.isArray(e.readings)) return undefined;
    return { bootId: e.bootId, seq: e.seq, readings: e.readings.length };
  } catch {
    return undefined;
  }
}
