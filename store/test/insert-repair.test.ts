import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
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
import { readings } from "./repair-readings.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-repair-"));
const path = join(dir, "clickhouse");
let store: TelemetryStore;

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

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "insert-child.ts");

/**
 * The order in which an insert's parts are renamed into place, each right after its table's
 * deduplication log took the block (seen with `strace -e trace=rename,write` on chdb).
 */
const COMMIT_ORDER: readonly RepairedTable[] = ["telemetry", "telemetry_1m", "series_index", "telemetry_1h"];

/**
 * Inserts `rows` in a child process that is killed (SIGKILL, by strace, on entering the system
 * call) at the rename of `table`'s part: its deduplication log holds the block, its part is a
 * temporary directory that the next start throws away — the state a `kill -9` at that instant leaves.
 * strace counts the renames (`when=N`) of the thread that commits the insert's parts, all four
 * on one thread in every trace taken; with `--seccomp-bpf` (much faster) it injected only at the
 * first, so each kill costs a fully traced start (4–6 s here).
 */
async function insertKilledAt(table: RepairedTable, rows: TelemetryRow[], token: string): Promise<void> {
  await store.close();
  const at = COMMIT_ORDER.indexOf(table) + 1;
  const child = spawn(
    "strace",
    ["-f", "-qq", "-o", "/dev/null", "-e", "trace=rename", "-e", `inject=rename:signal=KILL:when=${at}`].concat([
      process.execPath,
      "--import",
      "tsx",
      CHILD,
      path,
      token,
      JSON.stringify(rows),
    ]),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  expect({ exit, out }).toEqual({ exit: { code: null, signal: "SIGKILL" }, out: "" });
  store = await TelemetryStore.open(new ChdbDriver(path));
  // No merge may fold the parts a later step looks at.
  await store.driver.exec("SYSTEM STOP MERGES");
}

/** Readings of a site per table (rollups: samples). */
async function perTable(site: string): Promise<Record<RepairedTable, number>> {
  const one = async (sql: string) => Number((await store.driver.query<{ n: string }>(sql, { site }))[0]?.n ?? 0);
  const rollup = (t: string) => one(`SELECT sum(samples) AS n FROM ${t} WHERE site = {site:String}`);
  return {
    telemetry: await one("SELECT count() AS n FROM telemetry WHERE site = {site:String}"),
    telemetry_1m: await rollup("telemetry_1m"),
    telemetry_1h: await rollup("telemetry_1h"),
    series_index: await rollup("series_index"),
  };
}

/**
 * The same state made by hand: `table`'s part of the insert removed while the store is closed (its
 * deduplication log keeps the block).
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

describe("completeInsert: an insert cut off inside ClickHouse's commit", () => {
  // Batch 2: 13 readings, one bad — 13 raw rows, 12 in each rollup.
  const share: Record<RepairedTable, number> = { telemetry: 13, telemetry_1m: 12, telemetry_1h: 12, series_index: 12 };
  const whole = { telemetry: 24, telemetry_1m: 23, telemetry_1h: 23, series_index: 23 };

  it.each(COMMIT_ORDER)("killed at the commit of %s: what each table lacks of it is added, once", async (table) => {
    const site = `cut-${table}`;
    await store.insertTelemetry(readings(site, 1, 11), `${site}:1`);
    const batch = readings(site, 2, 13);
    await insertKilledAt(table, batch, `${site}:2`);
    // The tables committed before the kill hold batch 2 (12 good readings, 13 raw rows); the rest do not.
    const lacking = COMMIT_ORDER.slice(COMMIT_ORDER.indexOf(table));
    const before = (t: RepairedTable) => (lacking.includes(t) ? 11 : whole[t]);
    expect(await perTable(site)).toEqual(Object.fromEntries(REPAIRED_TABLES.map((t) => [t, before(t)])));

    const rows =
      table === "telemetry_1h" // as a version before the binary batches wrote it down
        ? { format: "TabSeparated" as const, bytes: Buffer.from(toTabSeparated(batch)) }
        : binary(batch);
    const added = Object.fromEntries(REPAIRED_TABLES.map((t) => [t, lacking.includes(t) ? share[t] : 0]));
    expect(await store.completeInsert(rows, `${site}:2`)).toEqual({ added, unexplained: 0 });
    expect(await perTable(site)).toEqual(whole);
    const completed = await contents(site);
    expect(completed.stored).toEqual(completed.fromRaw);

    // Run again (cut off and started over, or its file not yet forgotten): nothing is added twice.
    expect(await store.completeInsert(binary(batch), `${site}:2`)).toEqual({ added: none(), unexplained: 0 });
    await reopen();
    expect((await contents(site)).stored).toEqual(completed.stored);
  });

  it("sent again under its token instead, stays short in the table that was killed; completing it mends that", async () => {
    const site = "resent";
    await store.insertTelemetry(readings(site, 1, 11), `${site}:1`);
    const batch = readings(site, 2, 13);
    await insertKilledAt("telemetry_1m", batch, `${site}:2`);
    // The minutes' deduplication log holds the token, their part is gone: the copy is dropped there,
    // while the tables after them in the chain, which never saw the block, write it.
    await store.insertTelemetry(batch, `${site}:2`);
    expect(await perTable(site)).toEqual({ ...whole, telemetry_1m: 11 });
    expect(await store.completeInsert(binary(batch), `${site}:2`)).toEqual({
      added: { ...none(), telemetry_1m: 12 },
      unexplained: 0,
    });
    const completed = await contents(site);
    expect(completed.stored).toEqual(completed.fromRaw);
  });

  it("waits for an insert under its token that the server still runs, then finds it whole", async () => {
    const site = "slow";
    const batch = readings(site, 2, 13);
    // The client that gave up: a second session on the same folder, whose insert under the token
    // takes ~2.6 s (0.2 s a row) — the processor's failed insert, still running on the server.
    const server = new ChdbDriver(path);
    await server.exec("DROP TABLE IF EXISTS slow_source SYNC");
    await server.exec("CREATE TABLE slow_source AS telemetry");
    await server.insertRowBinary("slow_source", binary(batch).bytes);
    const running = server.exec(
      `INSERT INTO telemetry SETTINGS insert_deduplication_token = 'slow:2', max_block_size = 100
       SELECT * FROM slow_source WHERE sleepEachRow(0.2) = 0`,
    );
    const started = Date.now();
    for (;;) {
      const [n] = await store.driver.query<{ n: number }>(
        "SELECT count() AS n FROM system.processes WHERE Settings['insert_deduplication_token'] = 'slow:2'",
      );
      if (Number(n?.n) > 0) break;
      expect(Date.now() - started).toBeLessThan(5_000);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await store.completeInsert(binary(batch), "slow:2")).toEqual({ added: none(), unexplained: 0 });
    await running;
    await server.exec("DROP TABLE slow_source SYNC");
    await server.close();
    expect(await perTable(site)).toEqual({ telemetry: 13, telemetry_1m: 12, telemetry_1h: 12, series_index: 12 });
  });

  it("changes nothing after an insert that completed", async () => {
    const site = "whole";
    await store.insertTelemetry(readings(site, 1, 11), `${site}:1`);
    const batch = readings(site, 2, 13);
    await store.insertTelemetry(batch, `${site}:2`);
    const before = await contents(site);
    expect(before.stored).toEqual(before.fromRaw);
    expect(await store.completeInsert(binary(batch), `${site}:2`)).toEqual({ added: none(), unexplained: 0 });
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
    const report = await store.completeInsert(binary(batch), `${site}:2`);
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
