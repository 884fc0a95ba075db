import { type SeriesColumns, toDictionaryColumn } from "@lifeline/store";
import {
  type Data,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMillisecond,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from "apache-arrow";

/** The media type of an Arrow IPC stream (what pandas, polars, DuckDB and pyarrow read). */
export const ARROW_STREAM = "application/vnd.apache.arrow.stream";

/**
 * A series answer as an Apache Arrow IPC stream: one row per point, series after series, each in
 * time order — the long table an analyst's data frame takes. Why: a site's day of minute buckets
 * is 2.4 MB of JSON that costs more to print, send and parse than ClickHouse took to compute it;
 * as Arrow it is columns of 8-byte values, read by the client without parsing.
 *
 * Columns: `site`, `device`, `metric`, `unit` (dictionary-encoded), `ts` (timestamp, ms, UTC), then
 * for buckets `count` (Int64) and one Float64 per aggregate, null where the JSON answer has null;
 * for raw readings `value` (Float64) and `quality` (dictionary). `envelope` (from, to, step, source,
 * truncated …) goes into the schema's metadata, as text.
 */
export function seriesArrow(
  series: readonly SeriesColumns[],
  fields: readonly string[],
  envelope: Record<string, unknown>,
): Uint8Array {
  const lengths = series.map((s) => (s.columns.ts ?? []).length);
  const rows = lengths.reduce((a, n) => a + n, 0);
  const columns: [Field, Data][] = [
    ...(["site", "device", "metric", "unit"] as const).map((name) =>
      perSeries(
        name,
        series.map((s) => s[name]),
        lengths,
        rows,
      ),
    ),
    timestamps(series, rows),
  ];
  for (const name of fields) {
    const values = series.map((s) => s.columns[name] ?? []);
    columns.push(
      name === "count"
        ? integers(name, values, rows)
        : name === "quality"
          ? texts(name, values, rows)
          : floats(name, values, rows),
    );
  }
  const schema = new Schema(
    columns.map(([f]) => f),
    new Map(Object.entries(envelope).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
  );
  const struct = makeData({
    type: new Struct(schema.fields),
    length: rows,
    nullCount: 0,
    children: columns.map(([, d]) => d),
  });
  return tableToIPC(new Table(schema, [new RecordBatch(schema, struct)]), "stream");
}

/** A dictionary column that holds one value per series, repeated over its points. */
function perSeries(name: string, values: readonly string[], lengths: readonly number[], rows: number): [Field, Data] {
  const perSeriesKeys = toDictionaryColumn(values);
  const keys = new Int32Array(rows);
  let at = 0;
  lengths.forEach((length, s) => {
    keys.fill(perSeriesKeys.keys[s] as number, at, at + length);
    at += length;
  });
  return dictionaryColumn(name, perSeriesKeys.dictionary, keys);
}

function texts(name: string, values: readonly unknown[][], rows: number): [Field, Data] {
  const all = new Array<unknown>(rows);
  let at = 0;
  for (const list of values) for (const v of list) all[at++] = v;
  const { dictionary, keys } = toDictionaryColumn(all);
  return dictionaryColumn(name, dictionary, new Int32Array(keys.buffer, keys.byteOffset, keys.length));
}

function dictionaryColumn(name: string, dictionary: readonly string[], keys: Int32Array): [Field, Data] {
  const type = new Dictionary(new Utf8(), new Int32());
  const data = makeData({
    type,
    length: keys.length,
    nullCount: 0,
    data: keys,
    dictionary: vectorFromArray([...dictionary], new Utf8()),
  });
  return [new Field(name, type, false), data];
}

/** The series' lists of whole numbers, in order, as 64-bit integers (counts, and times). */
function int64s(values: readonly unknown[][], rows: number): BigInt64Array {
  const out = new BigInt64Array(rows);
  let at = 0;
  for (const list of values) for (const v of list) out[at++] = BigInt(v as number);
  return out;
}

function timestamps(series: readonly SeriesColumns[], rows: number): [Field, Data] {
  const type = new TimestampMillisecond("UTC");
  const data = int64s(
    series.map((s) => s.columns.ts ?? []),
    rows,
  );
  return [new Field("ts", type, false), makeData({ type, length: rows, nullCount: 0, data })];
}

function integers(name: string, values: readonly unknown[][], rows: number): [Field, Data] {
  const type = new Int64();
  return [new Field(name, type, false), makeData({ type, length: rows, nullCount: 0, data: int64s(values, rows) })];
}

/** Float64 with a validity bitmap: null (or a value that is not finite) is a null. */
function floats(name: string, values: readonly unknown[][], rows: number): [Field, Data] {
  const out = new Float64Array(rows);
  const valid = new Uint8Array(Math.ceil(rows / 8));
  let nulls = 0;
  let at = 0;
  for (const list of values) {
    for (const v of list) {
      if (typeof v === "number" && Number.isFinite(v)) {
        out[at] = v;
        valid[at >> 3] = (valid[at >> 3] as number) | (1 << (at & 7));
      } else {
        nulls++;
      }
      at++;
    }
  }
  const type = new Float64();
  const data = makeData({ type, length: rows, nullCount: nulls, data: out, nullBitmap: nulls === 0 ? null : valid });
  return [new Field(name, type, nulls > 0), data];
}
