import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import {
  columnValues,
  type DictionaryColumn,
  decodeNative,
  isDictionaryColumn,
  type NativeColumn,
} from "../src/native-format.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-native-"));
let driver: ChdbDriver;

beforeAll(() => {
  driver = new ChdbDriver(join(dir, "clickhouse"));
});

afterAll(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

const native = async (sql: string) => decodeNative(await driver.queryBytes(sql, undefined, "Native"));

describe("decodeNative", () => {
  it("reads numbers, strings, nullables and simple aggregates as ClickHouse sent them", async () => {
    const c = await native(`SELECT toUInt64(number * 4294967297) AS big, toInt64(-number) AS neg, number / 4 AS f,
        toFloat32(0.5) AS f32, toUInt8(number) AS u8, toInt16(-300) AS i16, 'µg/m³ ' || toString(number) AS s,
        if(number = 1, NULL, number * 1.5) AS maybe, CAST(number + 0.25, 'SimpleAggregateFunction(max, Float64)') AS m,
        nan AS no
      FROM numbers(3)`);
    expect([...c.keys()]).toEqual(["big", "neg", "f", "f32", "u8", "i16", "s", "maybe", "m", "no"]);
    expect(c.get("big")).toEqual(Float64Array.from([0, 4294967297, 8589934594]));
    expect(c.get("neg")).toEqual(Float64Array.from([0, -1, -2]));
    expect(c.get("f")).toEqual(Float64Array.from([0, 0.25, 0.5]));
    expect(c.get("f32")).toEqual(Float64Array.from([0.5, 0.5, 0.5]));
    expect(c.get("u8")).toEqual(Float64Array.from([0, 1, 2]));
    expect(c.get("i16")).toEqual(Float64Array.from([-300, -300, -300]));
    expect(c.get("s")).toEqual(["µg/m³ 0", "µg/m³ 1", "µg/m³ 2"]);
    expect(c.get("maybe")).toEqual([0, null, 3]);
    expect(c.get("m")).toEqual(Float64Array.from([0.25, 1.25, 2.25]));
    expect(Number.isNaN((c.get("no") as Float64Array)[0])).toBe(true);
  });

  it("reads LowCardinality strings through their dictionary, across blocks and wide indexes", async () => {
    const c = await native(`SELECT toLowCardinality('device-' || toString(number % 300)) AS d, number AS n
      FROM numbers(1000) SETTINGS max_block_size = 256`);
    const column = c.get("d") as NativeColumn;
    const n = c.get("n") as Float64Array;
    expect(isDictionaryColumn(column)).toBe(true);
    const d = columnValues(column);
    expect(d).toHaveLength(1000);
    expect(n).toHaveLength(1000);
    for (let i = 0; i < 1000; i++) expect(d[i]).toBe(`device-${(n[i] as number) % 300}`);
    expect(new Set(Array.from(d)).size).toBe(300);
    // Four blocks, each with its own dictionary, joined into one with every value once.
    const { dictionary } = column as DictionaryColumn;
    expect(new Set(dictionary).size).toBe(dictionary.length);
    expect(dictionary.filter((v) => v.startsWith("device-"))).toHaveLength(300);
  });

  it("reads LowCardinality indexes of every width: 1, 2 and 4 bytes", async () => {
    // Up to 256 values the index is one byte, up to 65,536 two, beyond that four.
    for (const distinct of [200, 3_000, 70_000]) {
      const c = await native(`SELECT toLowCardinality(toString(number % ${distinct})) AS d, number AS n
        FROM numbers(${distinct + 50}) SETTINGS max_block_size = 100000`);
      const d = columnValues(c.get("d") as NativeColumn);
      const n = c.get("n") as Float64Array;
      expect(d).toHaveLength(distinct + 50);
      let wrong = 0;
      for (let i = 0; i < d.length; i++) if (d[i] !== String((n[i] as number) % distinct)) wrong++;
      expect([distinct, wrong]).toEqual([distinct, 0]);
    }
  });

  it("answers nothing for no rows", async () => {
    const c = await native("SELECT number AS n FROM numbers(0)");
    expect(c.get("n") ?? []).toHaveLength(0);
  });

  it("names the column whose type it does not read, and a truncated answer", async () => {
    await expect(native("SELECT [1, 2] AS arr")).rejects.toMatchObject({
      code: "STORE_NATIVE_UNSUPPORTED",
      message: "column arr: type Array(UInt8) is not read from Native answers",
    });
    const bytes = await driver.queryBytes("SELECT toFloat64(number) AS x FROM numbers(4)", undefined, "Native");
    expect(() => decodeNative(bytes.subarray(0, bytes.length - 3))).toThrow(
      expect.objectContaining({ code: "STORE_NATIVE_TRUNCATED" }),
    );
  });
});
