import { HEADER_QUARANTINE_CODE, HEADER_QUARANTINE_REASON, HEADER_SOURCE } from "@lifeline/contracts";
import type { QuarantineRow, TelemetryStore } from "@lifeline/store";
import { dedupToken } from "./dedup-token.ts";
import type { StreamMessage } from "./jetstream-puller.ts";
import { payloadText } from "./payload-text.ts";

/** Stores what the gateway refused (`qrn.*`), with the code and reason it gave in the headers. */
export function quarantineSink(store: TelemetryStore, stats: { quarantined: number }) {
  return async (batch: StreamMessage[]): Promise<void> => {
    const rows: QuarantineRow[] = batch.map((m) => ({
      source: m.headers?.get(HEADER_SOURCE) || m.subject,
      subject: m.subject,
      code: m.headers?.get(HEADER_QUARANTINE_CODE) || "UNKNOWN",
      reason: m.headers?.get(HEADER_QUARANTINE_REASON) || "",
      payload: payloadText(m.data),
      stream_seq: m.seq,
    }));
    // Redelivered: stored before, or cut off inside ClickHouse's commit — looked up, the missing written.
    await store.insertQuarantine(
      rows,
      dedupToken("qrn", batch),
      batch.some((m) => m.redelivered),
    );
    stats.quarantined += rows.length;
  };
}
