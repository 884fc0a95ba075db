import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import { insertRefusal } from "../src/insert-refusal.ts";
import { StoreError } from "../src/store-error.ts";
import { TelemetryRowBinary } from "../src/telemetry-row-binary.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-refusal-"));
let store: TelemetryStore;
beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

function batch(): Buffer {
  const rows = new TelemetryRowBinary();
  rows.addEnvelope(
    {
      v: 1,
      site: "s",
      gateway: "g",
      device: "d",
      bootId: "b",
      seq: 1,
      readings: [{ metric: "m", ts: 1, value: 1, unit: "", quality: "good" }],
    },
    1,
  );
  return Buffer.from(rows.toBuffer());
}

describe("insertRefusal", () => {
  it("names rows ClickHouse cannot read, and a header that is cut short", async () => {
    const good = batch();
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
    const noTable = await failureOf(store.driver.insertRowBinary("no_such_table", batch()));
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
