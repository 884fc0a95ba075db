import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { insertRefusal } from "../src/insert-refusal.ts";
import { StoreError } from "../src/store-error.ts";
import { rowBinaryColumns, TELEMETRY_ROW_BINARY_COLUMNS, TelemetryRowBinary } from "../src/telemetry-row-binary.ts";
import { TELEMETRY_COLUMNS } from "../src/telemetry-rows.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";
import { awkwardEnvelope, awkwardRowsStored, storedRows, T0 } from "./awkward-envelope.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-rowbinary-"));
let store: TelemetryStore;

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const envelope = awkwardEnvelope("boot-rb");
const stored = (site: string) => storedRows(store, site);

describe("TelemetryRowBinary", () => {
  it("stores every value of an envelope exactly, and a batch sent twice under one token once", async () => {
    const batch = new TelemetryRowBinary();
    batch.addEnvelope(envelope, 2 ** 50 + 1);
    expect(batch.rows).toBe(3);
    await store.insertTelemetryBinary(batch.toBuffer(), "rb-1");
    await store.insertTelemetryBinary(batch.toBuffer(), "rb-1");
    expect(await stored("pipe-2")).toEqual(awkwardRowsStored("boot-rb"));
  });

  it("writes rows the same as envelopes, growing past its first buffer", async () => {
    const many: Envelope = {
      ...envelope,
      site: "pipe-3",
      readings: Array.from({ length: 300 }, (_, i) => ({
        metric: `m${i}`,
        ts: T0 + i,
        value: i / 8,
        unit: "bar",
        quality: "good" as const,
      })),
    };
    const fromEnvelope = new TelemetryRowBinary(1);
    fromEnvelope.addEnvelope(many, 77);
    const fromRows = TelemetryRowBinary.fromRows(
      many.readings.map((r, idx) => ({
        ...r,
        site: many.site,
        gateway: many.gateway,
        device: many.device,
        boot_id: many.bootId,
        seq: many.seq,
        idx,
        stream_seq: 77,
      })),
    );
    expect(fromRows.toBuffer().equals(fromEnvelope.toBuffer())).toBe(true);
    expect(fromEnvelope.toBuffer().length).toBeGreaterThan(4096);
    expect(fromEnvelope.bytes).toBe(fromEnvelope.toBuffer().length);
    // Sized up front, too small or large enough: the same bytes.
    for (const expectedBytes of [1, fromEnvelope.bytes]) {
      const sized = new TelemetryRowBinary(undefined, expectedBytes);
      sized.addEnvelope(many, 77);
      expect(sized.toBuffer().equals(fromEnvelope.toBuffer())).toBe(true);
    }
    await store.insertTelemetryBinary(fromRows.toBuffer(), "rb-2");
    const sums = await store.driver.query<{ n: number; total: number }>(
      "SELECT count() AS n, sum(value) AS total FROM telemetry WHERE site = 'pipe-3'",
    );
    expect(sums).toEqual([{ n: 300, total: (299 * 300) / 2 / 8 }]);
  });

  it("names its columns and their types in the header, and is empty without rows", () => {
    const batch = new TelemetryRowBinary();
    expect(batch.toBuffer().length).toBe(0);
    batch.addEnvelope(envelope, 1);
    expect(rowBinaryColumns(batch.toBuffer())).toEqual([...TELEMETRY_COLUMNS]);
    expect(TELEMETRY_ROW_BINARY_COLUMNS.map(([name]) => name)).toEqual([...TELEMETRY_COLUMNS]);
    expect(() => rowBinaryColumns(batch.toBuffer().subarray(0, 5))).toThrow("the RowBinary header is cut short");
  });

  it("refuses a batch whose header names a type the table does not have, and stores none of it", async () => {
    const batch = new TelemetryRowBinary();
    batch.addEnvelope({ ...envelope, site: "pipe-4" }, 1);
    const bytes = Buffer.from(batch.toBuffer());
    // "Float64" → "Float32": the rows no longer match their declared types.
    const at = bytes.indexOf("Float64");
    bytes.write("Float32", at);
    const failure = await store.insertTelemetryBinary(bytes, "rb-4").catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "STORE_INSERT_FAILED" });
    expect((failure as Error).message).toMatch(/^insert into telemetry failed: /);
    expect(await stored("pipe-4")).toEqual([]);
  });
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** A batch of one reading, as bytes to break. */
function oneReading(): Buffer {
  const rows = new TelemetryRowBinary();
  rows.addEnvelope({ ...envelope, site: "pipe-9", readings: envelope.readings.slice(0, 1) }, 1);
  return Buffer.from(rows.toBuffer());
}

describe("insertRefusal", () => {
  it("names rows ClickHouse cannot read, and a header that is cut short", async () => {
    const good = oneReading();
    const truncated = await failureOf(store.insertTelemetryBinary(good.subarray(0, good.length - 3), "r1"));
    expect(insertRefusal(truncated)).toMatch(/^insert into telemetry failed: Code: 33\. /);
    const retyped = Buffer.from(good);
    retyped.write("Float32", retyped.indexOf("Float64"));
    const wrongType = await failureOf(store.insertTelemetryBinary(retyped, "r2"));
    expect(insertRefusal(wrongType)).toMatch(/Code: 117\. .*Type of 'value' must be Float64, not Float32/);
    const renamed = Buffer.from(good);
    renamed.write("sita", renamed.indexOf("site"));
    expect(insertRefusal(await failureOf(store.insertTelemetryBinary(renamed, "r3")))).toMatch(/Code: 16\. /);
    const header = await failureOf(store.insertTelemetryBinary(good.subarray(0, 5), "r4"));
    expect(insertRefusal(header)).toBe("insert into telemetry failed: the RowBinary header is cut short");
  });

  it("leaves failures that may pass when sent again to be sent again", async () => {
    const noTable = await failureOf(store.driver.insertRowBinary("no_such_table", oneReading()));
    expect(noTable).toMatchObject({ code: "STORE_INSERT_FAILED" });
    expect(insertRefusal(noTable)).toBeUndefined();
    expect(insertRefusal(new Error("timed out"))).toBeUndefined();
    expect(
      insertRefusal(new StoreError("STORE_INSERT_FAILED", "insert into telemetry failed: Code: 252. too many parts")),
    ).toBeUndefined();
    expect(
      insertRefusal(new StoreError("STORE_QUERY_FAILED", "query failed: Code: 33. Cannot read all data")),
    ).toBeUndefined();
  });
});
