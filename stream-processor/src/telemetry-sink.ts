import { telemetrySubject, tryDecodeEnvelope } from "@lifeline/contracts";
import { envelopeRows, identityOf, type QuarantineRow, type TelemetryRow, type TelemetryStore } from "@lifeline/store";
import type { JsMsg } from "@nats-io/jetstream";
import { dedupToken } from "./dedup-token.ts";
import { payloadText } from "./payload-text.ts";

export interface TelemetrySinkStats {
  envelopes: number;
  rows: number;
  quarantined: number;
  /** Rows of batches that might have been stored before, checked against ClickHouse. */
  checkedRows: number;
  /** Of those, rows already stored and therefore not written again. */
  replayedRows: number;
  /** Messages delivered twice within one batch (redelivered while the first copy waited). */
  redeliveredTwice: number;
}

export interface TelemetrySinkOptions {
  /**
   * Readings older than this (source time) are checked against what is stored before they are
   * written: JetStream's duplicate window no longer covers a replay that old. Set it to the
   * stream's duplicate window.
   */
  replayCheckAfterMs: number;
  now?: () => number;
}

export function emptyTelemetrySinkStats(): TelemetrySinkStats {
  return { envelopes: 0, rows: 0, quarantined: 0, checkedRows: 0, replayedRows: 0, redeliveredTwice: 0 };
}

/**
 * Turns a batch of telemetry messages into ClickHouse rows. Envelopes that do not decode, or
 * whose subject does not match their route, are written to quarantine with the reason, in the
 * same flush, so that acknowledging the batch never loses one silently.
 *
 * Exactly once: a batch redelivered unchanged is dropped by ClickHouse (same deduplication token);
 * a redelivered message in a batch of a different make-up, or a replay older than JetStream's
 * duplicate window, is looked up by identity (gateway, boot, seq, idx) and not written twice.
 */
export function telemetrySink(store: TelemetryStore, stats: TelemetrySinkStats, options: TelemetrySinkOptions) {
  const now = options.now ?? Date.now;
  return async (batch: JsMsg[]): Promise<void> => {
    const rows: TelemetryRow[] = [];
    const suspect: TelemetryRow[] = [];
    const redelivered: TelemetryRow[] = [];
    const quarantined: QuarantineRow[] = [];
    const oldest = now() - options.replayCheckAfterMs;
    // A message JetStream redelivered while its first delivery still waited here comes twice in one batch.
    const seen = new Set<number>();
    for (const m of batch) {
      if (seen.has(m.seq)) {
        stats.redeliveredTwice++;
        continue;
      }
      seen.add(m.seq);
      const decoded = tryDecodeEnvelope(m.data);
      if (!decoded.ok) {
        quarantined.push(quarantineRow(m, decoded.error.code, decoded.error.message));
      } else if (telemetrySubject(decoded.envelope) !== m.subject) {
        quarantined.push(
          quarantineRow(m, "STREAM_SUBJECT_MISMATCH", `subject ${m.subject} does not match the envelope's route`),
        );
      } else {
        const old = decoded.envelope.readings.some((r) => r.ts < oldest);
        const into = old ? suspect : m.info.redelivered ? redelivered : rows;
        for (const row of envelopeRows(decoded.envelope, m.seq)) into.push(row);
      }
    }
    // Each row checked counts once, also a row of a partly stored message that is looked up twice.
    stats.checkedRows += suspect.length + redelivered.length;
    if (redelivered.length > 0) {
      // Whole messages first (by stream sequence): stored, absent, or partly there (checked by identity).
      const counts = await store.storedMessageRows(redelivered);
      const perMessage = new Map<number, number>();
      for (const row of redelivered) perMessage.set(row.stream_seq, (perMessage.get(row.stream_seq) ?? 0) + 1);
      for (const row of redelivered) {
        const stored = counts.get(row.stream_seq) ?? 0;
        if (stored === 0) rows.push(row);
        else if (stored === perMessage.get(row.stream_seq)) stats.replayedRows++;
        else suspect.push(row);
      }
    }
    if (suspect.length > 0) {
      const stored = await store.storedIdentities(suspect);
      // The batch's own fresh rows count as stored too: an edge replay may sit beside its original.
      for (const row of rows) stored.add(identityOf(row));
      for (const row of suspect) {
        const id = identityOf(row);
        if (stored.has(id)) stats.replayedRows++;
        else {
          stored.add(id);
          rows.push(row);
        }
      }
    }
    const token = dedupToken("tlm", batch);
    await store.insertTelemetry(rows, token);
    await store.insertQuarantine(quarantined, token);
    stats.envelopes += seen.size - quarantined.length;
    stats.rows += rows.length;
    stats.quarantined += quarantined.length;
  };
}

function quarantineRow(m: JsMsg, code: string, reason: string): QuarantineRow {
  return { source: "tlm", subject: m.subject, code, reason, payload: payloadText(m.data), stream_seq: m.seq };
}
