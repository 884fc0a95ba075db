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
 * Telemetry rows as TabSeparated text in {@link TELEMETRY_COLUMNS} order, built straight from
 * envelopes: no row object per reading (at 100k readings/s those objects were most of the
 * processor's garbage-collection time). Ids and metric names cannot hold a tab, line feed or
 * backslash (their patterns forbid them); units can and are escaped.
 */
export class TelemetryTsv {
  #text = "";
  #rows = 0;
  readonly #units = new Map<string, string>();

  static fromRows(rows: readonly TelemetryRow[]): TelemetryTsv {
    const tsv = new TelemetryTsv();
    for (const r of rows) tsv.addRow(r);
    return tsv;
  }

  get rows(): number {
    return this.#rows;
  }

  addEnvelope(e: Envelope, streamSeq: number): void {
    const head = `${e.site}\t${e.gateway}\t${e.device}\t`;
    const tail = `\t${e.bootId}\t${e.seq}\t`;
    const end = `\t${streamSeq}\n`;
    let out = "";
    const readings = e.readings;
    for (let idx = 0; idx < readings.length; idx++) {
      const r = readings[idx] as Envelope["readings"][number];
      out += `${head}${r.metric}\t${tsvTime(r.ts)}\t${r.value}\t${this.#unit(r.unit)}\t${r.quality}${tail}${idx}${end}`;
    }
    this.#text += out;
    this.#rows += readings.length;
  }

  addRow(r: TelemetryRow): void {
    this.#text += `${r.site}\t${r.gateway}\t${r.device}\t${escapeTsv(r.metric)}\t${tsvTime(r.ts)}\t${r.value}\t${this.#unit(r.unit)}\t${r.quality}\t${r.boot_id}\t${r.seq}\t${r.idx}\t${r.stream_seq}\n`;
    this.#rows++;
  }

  toBuffer(): Buffer {
    return Buffer.from(this.#text);
  }

  #unit(unit: string): string {
    let escaped = this.#units.get(unit);
    if (escaped === undefined) {
      escaped = escapeTsv(unit);
      this.#units.set(unit, escaped);
    }
    return escaped;
  }
}

/** Rows as TabSeparated text in {@link TELEMETRY_COLUMNS} order. */
export function toTabSeparated(rows: readonly TelemetryRow[]): Buffer {
  return TelemetryTsv.fromRows(rows).toBuffer();
}
