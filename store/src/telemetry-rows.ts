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

/** The telemetry columns a TabSeparated insert fills, in the order {@link toTabSeparated} writes them. */
export const TELEMETRY_COLUMNS = [
  "site",
  "gateway",
  "device",
  "metric",
  "ts",
  "value",
  "unit",
  "quality",
  "boot_id",
  "seq",
  "idx",
  "stream_seq",
] as const;

/**
 * TabSeparated text escaping (ClickHouse "Formats: TabSeparated"): backslash, tab and line feed
 * are written as \\, \t, \n. Ids and metric names cannot contain them; units and free text can.
 */
export function escapeTsv(text: string): string {
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : text;
}

/** Source time as ClickHouse reads a DateTime64(3) from text: seconds since the epoch, 3 decimals. */
function tsvTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const frac = ms - s * 1000;
  return `${s}.${frac < 10 ? "00" : frac < 100 ? "0" : ""}${frac}`;
}

/**
 * Rows as TabSeparated text in {@link TELEMETRY_COLUMNS} order: the format of inserts written down
 * by versions before `TelemetryRowBinary`, and readable by hand. Ids cannot hold a tab, line
 * feed or backslash (their patterns forbid them); metric names and units are escaped.
 */
export function toTabSeparated(rows: readonly TelemetryRow[]): Buffer {
  let text = "";
  for (const r of rows) {
    text += `${r.site}\t${r.gateway}\t${r.device}\t${escapeTsv(r.metric)}\t${tsvTime(r.ts)}\t${r.value}\t${escapeTsv(r.unit)}\t${r.quality}\t${r.boot_id}\t${r.seq}\t${r.idx}\t${r.stream_seq}\n`;
  }
  return Buffer.from(text);
}
