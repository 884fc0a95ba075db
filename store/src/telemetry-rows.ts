import type { Envelope, Quality } from "@lifeline/contracts";

/** One reading as stored: the envelope's route and identity flattened onto each reading. */
export interface TelemetryRow {
  site: string;
  gateway: string;
  device: string;
  metric: string;
  /** Source time, milliseconds since the epoch. */
  ts: number;
  value: number;
  unit: string;
  quality: Quality;
  boot_id: string;
  seq: number;
  /** Position of the reading in its envelope: (gateway, boot_id, seq, idx) identifies a row. */
  idx: number;
  /** JetStream stream sequence of the envelope's message. */
  stream_seq: number;
}

export function envelopeRows(envelope: Envelope, streamSeq: number): TelemetryRow[] {
  return envelope.readings.map((r, idx) => ({
    site: envelope.site,
    gateway: envelope.gateway,
    device: envelope.device,
    metric: r.metric,
    ts: r.ts,
    value: r.value,
    unit: r.unit,
    quality: r.quality,
    boot_id: envelope.bootId,
    seq: envelope.seq,
    idx,
    stream_seq: streamSeq,
  }));
}

export interface QuarantineRow {
  /** Where the payload was refused: `mqtt` (gateway) or `tlm` (stream processor). */
  source: string;
  subject: string;
  code: string;
  reason: string;
  payload: string;
  stream_seq: number;
}

/** Newline-delimited JSON, the format chdb and ClickHouse parse fastest from a buffer. */
export function toJsonEachRow(rows: readonly object[]): Buffer {
  let out = "";
  for (const row of rows) out += `${JSON.stringify(row)}\n`;
  return Buffer.from(out);
}
