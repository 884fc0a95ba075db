import { telemetrySubject, tryDecodeEnvelope } from "@lifeline/contracts";
import { envelopeRows, type QuarantineRow, type TelemetryRow, type TelemetryStore } from "@lifeline/store";
import type { JsMsg } from "@nats-io/jetstream";
import { dedupToken } from "./dedup-token.ts";
import { payloadText } from "./payload-text.ts";

export interface TelemetrySinkStats {
  envelopes: number;
  rows: number;
  quarantined: number;
}

/**
 * Turns a batch of telemetry messages into ClickHouse rows. Envelopes that do not decode, or
 * whose subject does not match their route, are written to quarantine with the reason, in the
 * same flush, so that acknowledging the batch never loses one silently.
 */
export function telemetrySink(store: TelemetryStore, stats: TelemetrySinkStats) {
  return async (batch: JsMsg[]): Promise<void> => {
    const rows: TelemetryRow[] = [];
    const quarantined: QuarantineRow[] = [];
    for (const m of batch) {
      const decoded = tryDecodeEnvelope(m.data);
      if (!decoded.ok) {
        quarantined.push(quarantineRow(m, decoded.error.code, decoded.error.message));
      } else if (telemetrySubject(decoded.envelope) !== m.subject) {
        quarantined.push(
          quarantineRow(m, "STREAM_SUBJECT_MISMATCH", `subject ${m.subject} does not match the envelope's route`),
        );
      } else {
        for (const row of envelopeRows(decoded.envelope, m.seq)) rows.push(row);
      }
    }
    const token = dedupToken("tlm", batch);
    await store.insertTelemetry(rows, token);
    await store.insertQuarantine(quarantined, token);
    stats.envelopes += batch.length - quarantined.length;
    stats.rows += rows.length;
    stats.quarantined += quarantined.length;
  };
}

function quarantineRow(m: JsMsg, code: string, reason: string): QuarantineRow {
  return { source: "tlm", subject: m.subject, code, reason, payload: payloadText(m.data), stream_seq: m.seq };
}
