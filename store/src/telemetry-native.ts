import { endianness } from "node:os";
import type { Envelope } from "@lifeline/contracts";
import { HeaderReader, leb128Length, writeLeb128 } from "./leb128.ts";
import type { TelemetryRow } from "./telemetry-rows.ts";

/**
 * The telemetry columns an insert fills, with the types each block declares (ClickHouse converts
 * them to the table's, migration 1). The dictionary-encoded columns (`LowCardinality(String)` in the
 * table) travel as plain `String`: ClickHouse builds their dictionaries as it stores them, and a
 * block stays simple to write (measured: 0.54 µs of chdb's CPU a row as String, 0.59 as
 * LowCardinality). The names and types travel in each block, so a batch written down by one
 * version is read correctly by the next, or refused by name if a type changed.
 */
export const TELEMETRY_NATIVE_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ["site", "String"],
  ["gateway", "String"],
  ["device", "String"],
  ["metric", "String"],
  ["ts", "DateTime64(3, 'UTC')"],
  ["value", "Float64"],
  ["unit", "String"],
  ["quality", "Enum8('good' = 0, 'uncertain' = 1, 'bad' = 2)"],
  ["boot_id", "String"],
  ["seq", "UInt64"],
  ["idx", "UInt16"],
  ["stream_seq", "UInt64"],
];

const QUALITY_CODE = { good: 0, uncertain: 1, bad: 2 } as const;
const TWO_32 = 2 ** 32;
/** What a row takes besides its strings: ts, value, quality, seq, idx, stream_seq. */
const FIXED_BYTES = 8 + 8 + 1 + 8 + 2 + 8;
/** The string columns, in the order their keys are kept (`#keys`). */
const SITE = 0;
const GATEWAY = 1;
const DEVICE = 2;
const METRIC = 3;
const UNIT = 4;
const BOOT = 5;
const STRING_COLUMNS = 6;
/** Which of the kept string columns each String column of the block is written from. */
const STRING_COLUMN: Readonly<Record<string, number>> = {
  site: SITE,
  gateway: GATEWAY,
  device: DEVICE,
  metric: METRIC,
  unit: UNIT,
  boot_id: BOOT,
};
/** Numbers are copied as memory when the machine's byte order is the format's (little-endian). */
const LITTLE_ENDIAN = endianness() === "LE";

/**
 * Telemetry rows as one block of ClickHouse's `Native` format, built straight from envelopes.
 *
 * Why Native and not `RowBinaryWithNamesAndTypes` (what versions before 2026-12-02 sent): chdb
 * reads a Native block column by column, a column of numbers in one copy, where RowBinary is read
 * value by value — 100,000 meter readings an insert took 1.24 µs of CPU a row with the rollups as
 * Native against 2.10 µs as RowBinary, 0.93 against 1.70 into the raw table alone, and 0.39 against
 * 0.74 µs to build (`npm run bench:insert-format`, store README). The values are the same bytes
 * either way: Float64 and Int64 milliseconds exactly.
 *
 * Layout (ClickHouse "Formats: Native", as `FORMAT Native` writes it: no block info, no custom
 * serialization): the column count and the row count as LEB128 varints, then per column its name,
 * its type (varint length and UTF-8 bytes each) and its values, little-endian: a String a varint
 * length and its bytes, DateTime64(3) an Int64 of milliseconds, an Enum8 its Int8 code.
 *
 * Rows are kept as columns while they are added — each string once per batch, a key per row — and
 * written out as one block by {@link toBuffer}.
 */
export class TelemetryNative {
  #capacity: number;
  #rows = 0;
  /** Per string column, each row's key into `#encoded`. */
  #keys: Uint32Array[];
  #ts: Float64Array;
  #value: Float64Array;
  #quality: Uint8Array;
  #seq: Float64Array;
  #idx: Uint16Array;
  #streamSeq: Float64Array;
  /** Each distinct string of the batch: its key, and its encoding (length and bytes) by key. */
  readonly #stringKeys = new Map<string, number>();
  readonly #encoded: Buffer[] = [];
  #bytes = 0;
  /** The block, once written; dropped when a row is added. */
  #block: Buffer | undefined;

  /** `expectedRows` sizes the columns up front (they double when it was too few). */
  constructor(expectedRows = 1024) {
    this.#capacity = Math.max(16, Math.ceil(expectedRows));
    this.#keys = Array.from({ length: STRING_COLUMNS }, () => new Uint32Array(this.#capacity));
    this.#ts = new Float64Array(this.#capacity);
    this.#value = new Float64Array(this.#capacity);
    this.#quality = new Uint8Array(this.#capacity);
    this.#seq = new Float64Array(this.#capacity);
    this.#idx = new Uint16Array(this.#capacity);
    this.#streamSeq = new Float64Array(this.#capacity);
    this.#bytes = leb128Length(TELEMETRY_NATIVE_COLUMNS.length);
    for (const [name, type] of TELEMETRY_NATIVE_COLUMNS) {
      this.#bytes += stringLength(Buffer.byteLength(name)) + stringLength(Buffer.byteLength(type));
    }
  }

  /** The columns every block of this builder fills, in order (what `nativeColumns` would read from it). */
  static readonly columns: readonly string[] = TELEMETRY_NATIVE_COLUMNS.map(([name]) => name);

  static fromRows(rows: readonly TelemetryRow[]): TelemetryNative {
    const batch = new TelemetryNative(rows.length);
    for (const r of rows) batch.addRow(r);
    return batch;
  }

  get rows(): number {
    return this.#rows;
  }

  /** Bytes of the block {@link toBuffer} writes. */
  get bytes(): number {
    return this.#bytes + leb128Length(this.#rows);
  }

  /** An envelope's readings as rows; what they share (site, gateway, device, boot id) is looked up once. */
  addEnvelope(e: Envelope, streamSeq: number): void {
    const site = this.#key(e.site);
    const gateway = this.#key(e.gateway);
    const device = this.#key(e.device);
    const boot = this.#key(e.bootId);
    const shared = this.#length(site) + this.#length(gateway) + this.#length(device) + this.#length(boot);
    const readings = e.readings;
    for (let idx = 0; idx < readings.length; idx++) {
      const r = readings[idx] as Envelope["readings"][number];
      const metric = this.#key(r.metric);
      const unit = this.#key(r.unit);
      this.#row(site, gateway, device, metric, unit, boot, r, e.seq, idx, streamSeq);
      this.#bytes += shared + this.#length(metric) + this.#length(unit);
    }
  }

  addRow(r: TelemetryRow): void {
    const keys = [r.site, r.gateway, r.device, r.metric, r.unit, r.boot_id].map((s) => this.#key(s));
    const [site, gateway, device, metric, unit, boot] = keys as [number, number, number, number, number, number];
    this.#row(site, gateway, device, metric, unit, boot, r, r.seq, r.idx, r.stream_seq);
    for (const key of keys) this.#bytes += this.#length(key);
  }

  /** The block of every row added (empty when none): written once, then the same memory until the next add. */
  toBuffer(): Buffer {
    if (this.#rows === 0) return Buffer.alloc(0);
    if (this.#block !== undefined) return this.#block;
    const n = this.#rows;
    const out = Buffer.allocUnsafe(this.bytes);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    let at = writeLeb128(out, 0, TELEMETRY_NATIVE_COLUMNS.length);
    at = writeLeb128(out, at, n);
    for (const [name, type] of TELEMETRY_NATIVE_COLUMNS) {
      at = writeString(out, at, name);
      at = writeString(out, at, type);
      const strings = STRING_COLUMN[name];
      if (strings !== undefined) {
        at = this.#writeStrings(out, at, strings);
        continue;
      }
      switch (name) {
        case "ts":
          at = writeInt64s(view, at, this.#ts, n);
          break;
        case "value":
          at = writeFloat64s(out, view, at, this.#value, n);
          break;
        case "quality":
          out.set(this.#quality.subarray(0, n), at);
          at += n;
          break;
        case "seq":
          at = writeInt64s(view, at, this.#seq, n);
          break;
        case "idx":
          if (LITTLE_ENDIAN) out.set(new Uint8Array(this.#idx.buffer, 0, 2 * n), at);
          else for (let r = 0; r < n; r++) view.setUint16(at + 2 * r, this.#idx[r] as number, true);
          at += 2 * n;
          break;
        case "stream_seq":
          at = writeInt64s(view, at, this.#streamSeq, n);
          break;
      }
    }
    if (at !== out.length) throw new Error(`TelemetryNative wrote ${at} bytes of ${out.length}`); // a bug, not data
    this.#block = out;
    return out;
  }

  #row(
    site: number,
    gateway: number,
    device: number,
    metric: number,
    unit: number,
    boot: number,
    r: { ts: number; value: number; quality: keyof typeof QUALITY_CODE },
    seq: number,
    idx: number,
    streamSeq: number,
  ): void {
    if (this.#rows === this.#capacity) this.#grow();
    const i = this.#rows++;
    const keys = this.#keys;
    (keys[SITE] as Uint32Array)[i] = site;
    (keys[GATEWAY] as Uint32Array)[i] = gateway;
    (keys[DEVICE] as Uint32Array)[i] = device;
    (keys[METRIC] as Uint32Array)[i] = metric;
    (keys[UNIT] as Uint32Array)[i] = unit;
    (keys[BOOT] as Uint32Array)[i] = boot;
    this.#ts[i] = r.ts;
    this.#value[i] = r.value;
    this.#quality[i] = QUALITY_CODE[r.quality];
    this.#seq[i] = seq;
    this.#idx[i] = idx;
    this.#streamSeq[i] = streamSeq;
    this.#bytes += FIXED_BYTES;
    this.#block = undefined;
  }

  #key(text: string): number {
    let key = this.#stringKeys.get(text);
    if (key === undefined) {
      const bytes = Buffer.from(text, "utf8");
      const encoded = Buffer.allocUnsafe(stringLength(bytes.length));
      bytes.copy(encoded, writeLeb128(encoded, 0, bytes.length));
      key = this.#encoded.push(encoded) - 1;
      this.#stringKeys.set(text, key);
    }
    return key;
  }

  #length(key: number): number {
    return (this.#encoded[key] as Buffer).length;
  }

  #writeStrings(out: Buffer, at: number, column: number): number {
    const keys = this.#keys[column] as Uint32Array;
    const encoded = this.#encoded;
    for (let r = 0; r < this.#rows; r++) {
      const bytes = encoded[keys[r] as number] as Buffer;
      const n = bytes.length;
      // A few bytes each: a byte loop costs less than `set`'s call into the runtime.
      if (n <= 32) for (let i = 0; i < n; i++) out[at + i] = bytes[i] as number;
      else out.set(bytes, at);
      at += n;
    }
    return at;
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const grown = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(
      a: T,
      make: (n: number) => T,
    ): T => {
      const b = make(capacity);
      b.set(a);
      return b;
    };
    this.#keys = this.#keys.map((k) => grown(k, (n) => new Uint32Array(n)));
    this.#ts = grown(this.#ts, (n) => new Float64Array(n));
    this.#value = grown(this.#value, (n) => new Float64Array(n));
    this.#quality = grown(this.#quality, (n) => new Uint8Array(n));
    this.#seq = grown(this.#seq, (n) => new Float64Array(n));
    this.#idx = grown(this.#idx, (n) => new Uint16Array(n));
    this.#streamSeq = grown(this.#streamSeq, (n) => new Float64Array(n));
    this.#capacity = capacity;
  }
}

/** Safe integers as Int64 (UInt64 for the counters, which are never negative). */
function writeInt64s(view: DataView, at: number, values: Float64Array, n: number): number {
  for (let r = 0; r < n; r++) {
    const v = values[r] as number;
    if (v >= 0) {
      const low = v % TWO_32;
      view.setUint32(at, low, true);
      view.setUint32(at + 4, (v - low) / TWO_32, true);
    } else {
      view.setBigInt64(at, BigInt(v), true); // a source time before 1970
    }
    at += 8;
  }
  return at;
}

function writeFloat64s(out: Buffer, view: DataView, at: number, values: Float64Array, n: number): number {
  if (LITTLE_ENDIAN) out.set(new Uint8Array(values.buffer, 0, 8 * n), at);
  else for (let r = 0; r < n; r++) view.setFloat64(at + 8 * r, values[r] as number, true);
  return at + 8 * n;
}

function writeString(out: Buffer, at: number, text: string): number {
  const n = Buffer.byteLength(text);
  at = writeLeb128(out, at, n);
  return at + out.write(text, at, "utf8");
}

function stringLength(bytes: number): number {
  return leb128Length(bytes) + bytes;
}

/** Bytes of one value of each fixed-width type a Native block may hold here. */
function fixedWidth(type: string): number | undefined {
  if (/^(U?Int8|Enum8\(.*\))$/.test(type)) return 1;
  if (/^(U?Int16|Enum16\(.*\))$/.test(type)) return 2;
  if (/^(U?Int32|Float32|DateTime(\(.*\))?|Date32)$/.test(type)) return 4;
  if (/^(U?Int64|Float64|DateTime64\(.*\))$/.test(type)) return 8;
  return undefined;
}

/**
 * The column names of a Native block (the first, when there are several): what an insert fills.
 * Throws `STORE_NATIVE_MALFORMED` when the bytes end before the names do, or hold a column type
 * whose values it cannot step over.
 */
export function nativeColumns(bytes: Uint8Array): string[] {
  const r = new HeaderReader(bytes, "STORE_NATIVE_MALFORMED", "Native block: the block is cut short");
  const count = r.varint();
  const rows = r.varint();
  const names: string[] = [];
  for (let c = 0; c < count; c++) {
    const start = r.at;
    const name = r.text();
    names.push(name);
    const type = r.text();
    const width = fixedWidth(type);
    if (width !== undefined) r.skip(width * rows);
    else if (type === "String") for (let i = 0; i < rows; i++) r.skip(r.varint());
    else {
      const column = `column ${c + 1} (${JSON.stringify(name.slice(0, 40))}) at byte ${start}`;
      throw r.error(
        `Native block: ${column}: type ${JSON.stringify(type.slice(0, 40))} is not one a telemetry block holds`,
      );
    }
  }
  return names;
}
