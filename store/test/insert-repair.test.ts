import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ChdbDriver,
  type InsertRepair,
  REPAIRED_TABLES,
  type RepairedTable,
  type TelemetryRow,
  TelemetryRowBinary,
  TelemetryStore,
  toTabSeparated,
} from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-repair-"));
const path = join(dir, "clickhouse");
let store: TelemetryStore;

/** 10:58 UTC: the two batches below reach across the hour. */
const T0 = Date.UTC(2026, 10, 30, 10, 58, 0);

/**
 * Batch `batch` of a site: `n` readings over three meters and four minutes; batch 2 overlaps the
 * buckets of batch 1 (so a repair that added whole buckets instead of one batch's share would show)
 * and holds a bad reading, kept raw and left out of every rollup.
 */
function readings(site: string, batch: 1 | 2, n: number): TelemetryRow[] {
  return Array.from({ length: n }, (_, i) => ({
    site,
    gateway: "gw-r",
    device: `m-${i % 3}`,
    metric: "flow",
    ts: T0 + (batch - 1) * 90_000 + i * 17_000,
    value: batch * 100 + ((i * 37) % 23) + i / 8,
    unit: "m3/h",
    quality: batch === 2 && i === 4 ? ("bad" as const) : ("good" as const),
    boot_id: `boot-${batch}`,
    seq: i,
    idx: 0,
    stream_seq: batch * 1000 + i,
  }));
}

const binary = (rows: TelemetryRow[]) => ({
  format: "RowBinary" as const,
  bytes: TelemetryRowBinary.fromRows(rows).toBuffer(),
});

/**
 * Each table of a site merged to one row per key, and the same computed from raw: what a store
 * whose every insert completed holds. Quantiles are rounded (a t-digest merged in another order).
 */
async function contents(site: string): Promise<{ stored: unknown[]; fromRaw: unknown[] }> {
  const q = (sql: string) => store.driver.query<Record<string, unknown>>(sql, { site });
  const rollup = (table: string) =>
    q(`SELECT '${table}' AS t, device, bucket, sum(samples) AS n, round(sum(value_sum), 6) AS sum, min(value_min) AS min,
        max(value_max) AS max, argMinMerge(value_first) AS first, argMaxMerge(value_last) AS last, max(last_ts) AS last_ts,
        arrayMap(x -> round(x, 3), quantilesTDigestMerge(0.5, 0.95, 0.99)(value_quantiles)) AS q
      FROM ${table} WHERE site = {site:String} GROUP BY device, bucket ORDER BY device, bucket`);
  const fromRaw = (table: string, bucket: string) =>
    q(`SELECT '${table}' AS t, device, ${bucket}(ts) AS bucket, count() AS n, round(sum(value), 6) AS sum, min(value) AS min,
        max(value) AS max, argMin(value, ts) AS first, argMax(value, ts) AS last, max(ts) AS last_ts,
        arrayMap(x -> round(x, 3), quantilesTDigest(0.5, 0.95, 0.99)(value)) AS q
      FROM telemetry WHERE site = {site:String} AND quality != 'bad' GROUP BY device, bucket ORDER BY device, bucket`);
  const stored = [
    ...(await q(`SELECT 'telemetry' AS t, boot_id, count() AS n, round(sum(value), 6) AS sum FROM telemetry
        WHERE site = {site:String} GROUP BY boot_id ORDER BY boot_id`)),
    ...(await rollup("telemetry_1m")),
    ...(await rollup("telemetry_1h")),
    ...(await q(`SELECT 'series_index' AS t, device, sum(samples) AS n, min(first_ts) AS first_ts, max(last_ts) AS last_ts,
        argMaxMerge(last_value) AS last FROM series_index WHERE site = {site:String} GROUP BY device ORDER BY device`)),
  ];
  const expected = [
    ...(await q(`SELECT 'telemetry' AS t, boot_id, count() AS n, round(sum(value), 6) AS sum FROM (
        SELECT DISTINCT * EXCEPT ingested_at FROM telemetry WHERE site = {site:String}) GROUP BY boot_id ORDER BY boot_id`)),
    ...(await fromRaw("telemetry_1m", "toStartOfMinute")),
    ...(await fromRaw("telemetry_1h", "toStartOfHour")),
    ...(await q(`SELECT 'series_index' AS t, device, count() AS n, toDateTime64(min(toStartOfMinute(ts)), 3, 'UTC') AS first_ts,
        max(ts) AS last_ts, argMax(value, ts) AS last FROM telemetry WHERE site = {site:String} AND quality != 'bad'
        GROUP BY device ORDER BY device`)),
  ];
  return { stored, fromRaw: expected };
}

async function reopen(): Promise<void> {
  await store.close();
  store = await TelemetryStore.open(new ChdbDriver(path));
  // No merge may fold a part this test removes into one it keeps.
  await store.driver.exec("SYSTEM STOP MERGES");
}

/**
 * The state a process killed inside ClickHouse's commit leaves: `table`'s deduplication log holds
 * the insert's block, its part is not there. Made the way the crash makes it — the part's directory
 * is gone when the store opens again.
 */
async function insertCutOff(table: RepairedTable, rows: TelemetryRow[], token: string): Promise<void> {
  const parts = () =>
    store.driver.query<{ name: string; path: string }>(
      "SELECT name, path FROM system.parts WHERE database = currentDatabase() AND table = {t:String} AND active",
      { t: table },
    );
  const before = new Set((await parts()).map((p) => p.name));
  await store.insertTelemetry(rows, token);
  const added = (await parts()).filter((p) => !before.has(p.name));
  expect(added.length).toBeGreaterThan(0);
  await store.close();
  for (const p of added) rmSync(p.path, { recursive: true });
  store = await TelemetryStore.open(new ChdbDriver(path));
  await store.driver.exec("SYSTEM STOP MERGES");
}

const none = (): InsertRepair["added"] => ({ telemetry: 0, telemetry_1m: 0, telemetry_1h: 0, series_index: 0 });

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(path));
  await store.driver.exec("SYSTEM STOP MERGES");
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("repairInsert: what an insert cut off inside ClickHouse's commit left missing", () => {
  // Batch 2: 13 readings, one bad — 13 raw rows, 12 in each rollup.
  const added: Record<RepairedTable, number> = { telemetry: 13, telemetry_1m: 12, telemetry_1h: 12, series_index: 12 };

  it.each(REPAIRED_TABLES)(
    "%s short after the insert was sent again: exactly its share is added back",
    async (table) => {
      const site = `cut-${table}`;
      await store.insertTelemetry(readings(site, 1, 11), `${site}:1`);
      const batch = readings(site, 2, 13);
      await insertCutOff(table, batch, `${site}:2`);
      // Sent again under its token, as the processor does at start: the table that lost it drops it.
      await store.insertTelemetry(batch, `${site}:2`);
      const short = await contents(site);
      expect(short.stored).not.toEqual(short.fromRaw);
      const raw = await store.driver.query<{ n: string }>(
        "SELECT count() AS n FROM telemetry WHERE site = {site:String}",
        {
          site,
        },
      );
      expect(Number(raw[0]?.n)).toBe(table === "telemetry" ? 11 : 24);

      const rows =
        table === "telemetry_1h" // as a version before the binary batches wrote it down
          ? { format: "TabSeparated" as const, bytes: Buffer.from(toTabSeparated(batch)) }
          : binary(batch);
      expect(await store.repairInsert(rows)).toEqual({ added: { ...none(), [table]: added[table] }, unexplained: 0 });
      const repaired = await contents(site);
      expect(repaired.stored).toEqual(repaired.fromRaw);
      expect(repaired.stored.filter((r) => (r as { t: string }).t === "telemetry")).toEqual([
        { t: "telemetry", boot_id: "boot-1", n: 11, sum: expect.any(Number) },
        { t: "telemetry", boot_id: "boot-2", n: 13, sum: expect.any(Number) },
      ]);

      // Run again (a repair cut off and started over): nothing is missing any more, nothing is added twice.
      expect(await store.repairInsert(binary(batch))).toEqual({ added: none(), unexplained: 0 });
      await reopen();
      expect((await contents(site)).stored).toEqual(repaired.stored);
    },
  );

  it("changes nothing after an insert that completed", async () => {
    const site = "whole";
    await store.insertTelemetry(readings(site, 1, 11), `${site}:1`);
    const batch = readings(site, 2, 13);
    await store.insertTelemetry(batch, `${site}:2`);
    const before = await contents(site);
    expect(before.stored).toEqual(before.fromRaw);
    expect(await store.repairInsert(binary(batch))).toEqual({ added: none(), unexplained: 0 });
    expect((await contents(site)).stored).toEqual(before.stored);
  });

  it("reports buckets short by another insert's share, and leaves them alone", async () => {
    const site = "other";
    // Batch 1's minutes are lost and it is not sent again: buckets it shares with batch 2 are short
    // by batch 1's share, which batch 2's repair must not take for its own. (Three readings where
    // batch 2 has one or two: a bucket short by exactly batch 2's share is taken for its loss.)
    const first = readings(site, 1, 11).flatMap((r) =>
      [0, 1, 2].map((k) => ({ ...r, seq: r.seq + 100 * k, ts: r.ts + k })),
    );
    await insertCutOff("telemetry_1m", first, `${site}:1`);
    const batch = readings(site, 2, 13);
    await store.insertTelemetry(batch, `${site}:2`);
    const before = await contents(site);
    const report = await store.repairInsert(binary(batch));
    expect(report?.added).toEqual(none());
    // The minute buckets both batches reach: meters 0 and 1 at 10:59, meters 0 and 2 at 11:00.
    expect(report?.unexplained).toBe(4);
    expect((await contents(site)).stored).toEqual(before.stored);
  });

  it("leaves no scratch table behind", async () => {
    const left = await store.driver.query<{ name: string }>(
      "SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%repair%'",
    );
    expect(left).toEqual([]);
  });
});
