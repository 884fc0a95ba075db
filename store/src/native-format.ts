import { StoreError } from "./store-error.ts";

/**
 * A LowCardinality(String) column as ClickHouse sends it: each row an index into a small dictionary.
 * Kept that way, a site's 72,000 buckets are grouped by comparing integers, and no string is made
 * per row (making them was a third of decoding).
 */
export interface DictionaryColumn {
  readonly dictionary: readonly string[];
  readonly keys: Uint32Array;
}

/**
 * One column of a Native answer: numbers (UInt/Int/Float, 64-bit integers as JS numbers), strings,
 * either with nulls, or dictionary-encoded strings.
 */
export type NativeColumn = Float64Array | (number | null)[] | string[] | DictionaryColumn;

/** Whether a column is dictionary-encoded (LowCardinality). */
export function isDictionaryColumn(c: NativeColumn): c is DictionaryColumn {
  return !Array.isArray(c) && !(c instanceof Float64Array);
}

/** The column's values as strings (or numbers), one per row: a dictionary column is looked up. */
export function columnValues(c: NativeColumn): ArrayLike<string | number | null> {
  if (!isDictionaryColumn(c)) return c;
  const out = new Array<string>(c.keys.length);
  for (let i = 0; i < out.length; i++) out[i] = c.dictionary[c.keys[i] as number] as string;
  return out;
}

/** Values as a dictionary column: each distinct value (as a string) once, a key per row. */
export function toDictionaryColumn(values: ArrayLike<unknown>): DictionaryColumn {
  const dictionary = new Dictionary();
  const keys = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) keys[i] = dictionary.keyOf(String(values[i]));
  return { dictionary: dictionary.values, keys };
}

/** Distinct strings numbered in the order met. */
class Dictionary {
  readonly values: string[] = [];
  readonly #keys = new Map<string, number>();

  keyOf(value: string): number {
    let key = this.#keys.get(value);
    if (key === undefined) {
      key = this.values.push(value) - 1;
      this.#keys.set(value, key);
    }
    return key;
  }
}

/** The number of rows of a column. */
function columnLength(c: NativeColumn): number {
  return isDictionaryColumn(c) ? c.keys.length : c.length;
}

/**
 * Decodes ClickHouse's `Native` output format — the columns exactly as the server holds them, with
 * no number printed and parsed again: for a chart's 72,000 buckets the text formats cost chdb more
 * than the query itself (JSONCompactColumns about 4×, measured). The format, as the server writes
 * it for `FORMAT Native` (no block info, no custom serialization): blocks of
 * `columns varint, rows varint`, then per column `name, type` (strings) and its data.
 *
 * Types read: (U)Int8–64, Float32/64, String, Nullable and SimpleAggregateFunction of those, and LowCardinality(String) (the
 * dictionary once per block, then indexes — so the site, device and metric of 72,000 rows are a few
 * dozen strings decoded). Anything else is a STORE_NATIVE_UNSUPPORTED error naming the column.
 */
export function decodeNative(bytes: Uint8Array): Map<string, NativeColumn> {
  const r = new NativeReader(bytes);
  const out = new Map<string, NativeColumn[]>();
  while (!r.done()) {
    const columns = r.varint();
    const rows = r.varint();
    for (let c = 0; c < columns; c++) {
      const name = r.string();
      const type = r.string();
      const parts = out.get(name) ?? [];
      parts.push(r.column(name, type, rows));
      out.set(name, parts);
    }
  }
  return new Map([...out].map(([name, parts]) => [name, join(parts)]));
}

function join(parts: NativeColumn[]): NativeColumn {
  if (parts.length === 1) return parts[0] as NativeColumn;
  const length = parts.reduce((n, p) => n + columnLength(p), 0);
  if (parts.every(isDictionaryColumn)) return joinDictionaries(parts as DictionaryColumn[], length);
  if (parts.every((p) => p instanceof Float64Array)) {
    const all = new Float64Array(length);
    let at = 0;
    for (const p of parts as Float64Array[]) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  }
  // A plain loop: spreading or flatMap over a few hundred thousand values is several times slower.
  const all = new Array<number | string | null>(length);
  let at = 0;
  for (const part of parts) {
    const p = columnValues(part);
    for (let i = 0; i < p.length; i++) all[at++] = p[i] as number | string | null;
  }
  return all as NativeColumn;
}

/** Blocks of one dictionary column, each with its own dictionary: one dictionary, keys renumbered. */
function joinDictionaries(parts: DictionaryColumn[], length: number): DictionaryColumn {
  const dictionary = new Dictionary();
  const keys = new Uint32Array(length);
  let at = 0;
  for (const part of parts) {
    const renumber = part.dictionary.map((value) => dictionary.keyOf(value));
    if (renumber.every((key, i) => key === i)) {
      // The usual case: every block's dictionary starts as the first one did (one copy, no lookups).
      keys.set(part.keys, at);
      at += part.keys.length;
    } else {
      for (let i = 0; i < part.keys.length; i++) keys[at++] = renumber[part.keys[i] as number] as number;
    }
  }
  return { dictionary: dictionary.values, keys };
}

const WIDTH: Record<string, number> = {
  UInt8: 1,
  Int8: 1,
  UInt16: 2,
  Int16: 2,
  UInt32: 4,
  Int32: 4,
  Float32: 4,
  UInt64: 8,
  Int64: 8,
  Float64: 8,
};

/** LowCardinality index flags (ClickHouse's SerializationLowCardinality). */
const NEED_UPDATE_DICTIONARY = 1 << 10;
const HAS_ADDITIONAL_KEYS = 1 << 9;

class NativeReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #text = new TextDecoder();
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  done(): boolean {
    return this.#at >= this.#bytes.length;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.#need(1) && (this.#bytes[this.#at++] as number);
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  }

  string(): string {
    const length = this.varint();
    this.#need(length);
    const s = this.#text.decode(this.#bytes.subarray(this.#at, this.#at + length));
    this.#at += length;
    return s;
  }

  column(name: string, type: string, rows: number): NativeColumn {
    if (type === "String") return Array.from({ length: rows }, () => this.string());
    if (type === "LowCardinality(String)") return this.#lowCardinality(name, rows);
    // A SimpleAggregateFunction column is stored and sent as its value type.
    const simple = /^SimpleAggregateFunction\([^,]+,\s*(.*)\)$/.exec(type)?.[1];
    if (simple !== undefined) return this.column(name, simple, rows);
    const nullable = /^Nullable\((.*)\)$/.exec(type)?.[1];
    if (nullable !== undefined) {
      this.#need(rows);
      const nulls = this.#bytes.subarray(this.#at, this.#at + rows);
      this.#at += rows;
      const values = this.column(name, nullable, rows);
      return Array.from(values as ArrayLike<number>, (v, i) => (nulls[i] === 1 ? null : v));
    }
    if (WIDTH[type] !== undefined) return this.#numbers(type, rows);
    throw new StoreError("STORE_NATIVE_UNSUPPORTED", `column ${name}: type ${type} is not read from Native answers`);
  }

  #numbers(type: string, rows: number): Float64Array {
    const width = WIDTH[type] as number;
    this.#need(rows * width);
    if (type === "Float64") {
      // One copy of the bytes (aligned, whatever the offset in the answer), no per-value read.
      // Native is little-endian, as are the hosts Lifeline runs on (x86-64, arm64).
      const out = new Float64Array(rows);
      new Uint8Array(out.buffer).set(this.#bytes.subarray(this.#at, this.#at + rows * 8));
      this.#at += rows * 8;
      return out;
    }
    const out = new Float64Array(rows);
    const v = this.#view;
    let at = this.#at;
    if (type === "UInt64") {
      // Times and counts: a loop of its own, not a type switch per value.
      for (let i = 0; i < rows; i++, at += 8)
        out[i] = v.getUint32(at, true) + v.getUint32(at + 4, true) * 4_294_967_296;
    } else {
      for (let i = 0; i < rows; i++, at += width) out[i] = readNumber(v, at, type);
    }
    this.#at = at;
    return out;
  }

  #lowCardinality(name: string, rows: number): DictionaryColumn {
    if (rows === 0) return { dictionary: [], keys: new Uint32Array(0) };
    const version = this.#u64();
    if (version !== 1) {
      throw new StoreError("STORE_NATIVE_UNSUPPORTED", `column ${name}: LowCardinality keys version ${version}`);
    }
    const parts: DictionaryColumn[] = [];
    let filled = 0;
    let dictionary: string[] = [];
    while (filled < rows) {
      const flags = this.#u64();
      if ((flags & (NEED_UPDATE_DICTIONARY | HAS_ADDITIONAL_KEYS)) !== 0) {
        const size = this.#u64();
        dictionary = Array.from({ length: size }, () => this.string());
      }
      const count = this.#u64();
      const width = 1 << (flags & 0xff);
      this.#need(count * width);
      const keys = new Uint32Array(count);
      const bytes = this.#bytes.subarray(this.#at, this.#at + count * width);
      if (width === 1) {
        keys.set(bytes); // a dictionary of up to 256 entries (site, device, metric): one native copy
      } else if (width === 2 || width === 4) {
        // Copied to an aligned buffer, then widened natively; little-endian as the hosts (see #numbers).
        const aligned = new Uint8Array(count * width);
        aligned.set(bytes);
        keys.set(width === 2 ? new Uint16Array(aligned.buffer) : new Uint32Array(aligned.buffer));
      } else {
        const view = this.#view;
        for (let i = 0, at = this.#at; i < count; i++, at += 8) keys[i] = Number(view.getBigUint64(at, true));
      }
      this.#at += count * width;
      filled += count;
      parts.push({ dictionary, keys });
    }
    return parts.length === 1 ? (parts[0] as DictionaryColumn) : joinDictionaries(parts, rows);
  }

  #u64(): number {
    this.#need(8);
    const value = Number(this.#view.getBigUint64(this.#at, true));
    this.#at += 8;
    return value;
  }

  #need(n: number): true {
    if (this.#at + n > this.#bytes.length) {
      throw new StoreError(
        "STORE_NATIVE_TRUNCATED",
        `Native answer ends at byte ${this.#bytes.length}; ${n} more expected at byte ${this.#at}`,
      );
    }
    return true;
  }
}

function readNumber(v: DataView, at: number, type: string): number {
  switch (type) {
    case "Float64":
      return v.getFloat64(at, true);
    case "UInt64":
      return v.getUint32(at, true) + v.getUint32(at + 4, true) * 4_294_967_296;
    case "Int64":
      return v.getUint32(at, true) + v.getInt32(at + 4, true) * 4_294_967_296;
    case "Float32":
      return v.getFloat32(at, true);
    case "UInt32":
      return v.getUint32(at, true);
    case "Int32":
      return v.getInt32(at, true);
    case "UInt16":
      return v.getUint16(at, true);
    case "Int16":
      return v.getInt16(at, true);
    case "UInt8":
      return v.getUint8(at);
    default:
      return v.getInt8(at);
  }
}
