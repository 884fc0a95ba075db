import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { insertRefusal } from "../src/insert-refusal.ts";
import { nativeColumns, TELEMETRY_NATIVE_COLUMNS, TelemetryNative } from "../src/telemetry-native.ts";
import { TELEMETRY_COLUMNS } from "../src/telemetry-rows.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";
import { awkwardEnvelope, awkwardRowsStored, storedRows, T0 } from "./awkward-envelope.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-native-"));
let store: TelemetryStore;

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const envelope = awkwardEnvelope("boot-nb");
const stored = (site: string) => storedRows(store, site);

/** What ClickHouse itself writes as Native for the rows stored of `site`, with the block's column types. */
async function clickHouseNative(site: string): Promise<Buffer> {
  const columns = TELEMETRY_NATIVE_COLUMNS.map(([name, type]) => `CAST(${name} AS ${type}) AS ${name}`).join(", ");
  const bytes = await store.driver.queryBytes(
    `SELECT ${columns} FROM telemetry WHERE site = {site:String} ORDER BY idx`,
    { site },
    "Native",
  );
  return Buffer.from(bytes);
}

describe("TelemetryNative", () => {
  it("stores every value of an envelope exactly, and a batch sent twice under one token once", async () => {
    const batch = new TelemetryNative();
    batch.addEnvelope(envelope, 2 ** 50 + 1);
    expect(batch.rows).toBe(3);
    expect(await store.insertTelemetryBatch(batch, "nb-1")).toBe(3);
    await store.insertTelemetryNative(batch.toBuffer(), "nb-1");
    expect(await stored("pipe-2")).toEqual(awkwardRowsStored("boot-nb"));
  });

  it("writes the very bytes ClickHouse writes for the same rows", async () => {
    // One month (one partition, so ClickHouse answers in one block), the other awkward values kept.
    const oneMonth = {
      ...envelope,
      site: "pipe-5",
      readings: envelope.readings.map((r, i) => ({ ...r, ts: T0 + i })),
    };
    const batch = new TelemetryNative();
    batch.addEnvelope(oneMonth, 2 ** 50 + 1);
    await store.insertTelemetryBatch(batch, "nb-5");
    expect(batch.toBuffer().equals(await clickHouseNative("pipe-5"))).toBe(true);
  });

  it("writes rows the same as envelopes, growing past the rows it was sized for", async () => {
    const many: Envelope = {
      ...envelope,
      site: "pipe-3",
      readings: Array.from({ length: 300 }, (_, i) => ({
        metric: `m${i % 7}`,
        ts: T0 + i,
        value: i / 8,
        unit: i % 2 === 0 ? "bar" : "kPa",
        quality: "good" as const,
      })),
    };
    const fromEnvelope = new TelemetryNative(1);
    fromEnvelope.addEnvelope(many, 77);
    const fromRows = TelemetryNative.fromRows(
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
    expect(fromEnvelope.bytes).toBe(fromEnvelope.toBuffer().length);
    expect(fromRows.bytes).toBe(fromRows.toBuffer().length);
    // Sized up front, too small or large enough: the same bytes.
    for (const expectedRows of [1, 300, 5_000]) {
      const sized = new TelemetryNative(expectedRows);
      sized.addEnvelope(many, 77);
      expect(sized.toBuffer().equals(fromEnvelope.toBuffer())).toBe(true);
    }
    expect(await store.insertTelemetryBatch(fromRows, "nb-2")).toBe(300);
    const sums = await store.driver.query<{ n: number; total: number; units: string }>(
      "SELECT count() AS n, sum(value) AS total, arrayStringConcat(arraySort(groupUniqArray(unit)), ',') AS units FROM telemetry WHERE site = 'pipe-3'",
    );
    expect(sums).toEqual([{ n: 300, total: (299 * 300) / 2 / 8, units: "bar,kPa" }]);
    expect(fromEnvelope.toBuffer().equals(await clickHouseNative("pipe-3"))).toBe(true);
  });

  it("writes its block again after a row is added to it, and is empty without rows", () => {
    const batch = new TelemetryNative();
    expect(batch.toBuffer().length).toBe(0);
    batch.addEnvelope(envelope, 1);
    const first = batch.toBuffer();
    expect(batch.toBuffer()).toBe(first); // written once
    batch.addEnvelope({ ...envelope, seq: 1 }, 2);
    expect(batch.toBuffer().length).toBeGreaterThan(first.length);
    expect(batch.bytes).toBe(batch.toBuffer().length);
  });

  it("names its columns and their types in the block, and says when it is cut short", () => {
    const batch = new TelemetryNative();
    batch.addEnvelope(envelope, 1);
    expect(nativeColumns(batch.toBuffer())).toEqual([...TELEMETRY_COLUMNS]);
    expect(TelemetryNative.columns).toEqual([...TELEMETRY_COLUMNS]); // what the store passes instead of reading them
    expect(TELEMETRY_NATIVE_COLUMNS.map(([name]) => name)).toEqual([...TELEMETRY_COLUMNS]);
    for (const end of [1, 5, 40, batch.toBuffer().length - 30]) {
      expect(() => nativeColumns(batch.toBuffer().subarray(0, end)), `cut at ${end}`).toThrow(
        "Native block: the block is cut short",
      );
    }
  });
});

describe("insertRefusal of Native blocks", () => {
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );
  const oneReading = () => {
    const rows = new TelemetryNative();
    rows.addEnvelope({ ...envelope, site: "pipe-9", readings: envelope.readings.slice(0, 1) }, 1);
    return Buffer.from(rows.toBuffer());
  };

  it("names blocks ClickHouse cannot read, and a block cut short, and stores none of them", async () => {
    const good = oneReading();
    const truncated = await failureOf(store.insertTelemetryNative(good.subarray(0, good.length - 3), "n1"));
    expect(insertRefusal(truncated)).toBe("insert into telemetry failed: Native block: the block is cut short");
    const renamed = Buffer.from(good);
    renamed.write("sita", renamed.indexOf("site"));
    expect(insertRefusal(await failureOf(store.insertTelemetryNative(renamed, "n3")))).toMatch(/Code: 16\. /);
    const unknown = Buffer.from(good);
    unknown.write("7", unknown.indexOf("UInt16") + 5); // "UInt17"
    const at = unknown.indexOf("idx") - 1;
    expect(insertRefusal(await failureOf(store.insertTelemetryNative(unknown, "n4")))).toBe(
      `insert into telemetry failed: Native block: column 11 ("idx") at byte ${at}: type "UInt17" is not one a telemetry block holds`,
    );
    // A narrower type than the values written: what follows is read from the wrong place.
    const retyped = Buffer.from(good);
    retyped.write("Float32", retyped.indexOf("Float64"));
    expect(insertRefusal(await failureOf(store.insertTelemetryNative(retyped, "n2")))).toMatch(
      /^insert into telemetry failed: Native block: column 7 .* at byte \d+: type ".*" is not one a telemetry block holds$/s,
    );
    expect(await stored("pipe-9")).toEqual([]);
  });

  it("leaves failures that may pass when sent again to be sent again", async () => {
    const noTable = await failureOf(store.driver.insertNative("no_such_table", oneReading()));
    expect(noTable).toMatchObject({ code: "STORE_INSERT_FAILED" });
    expect(insertRefusal(noTable)).toBeUndefined();
  });
});
