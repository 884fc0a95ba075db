import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ChdbDriver, TelemetryStore } from "../src/index.ts";
import { readings } from "./repair-readings.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-synced-parts-"));
const path = join(dir, "clickhouse");
const CHILD = join(dirname(fileURLToPath(import.meta.url)), "insert-child.ts");

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs insert-child.ts under strace and returns, for every part moved into place (a rename from a
 * `tmp_…` directory), the table's folder, whether a file of the part was synced before the rename,
 * and whether the part's directory was synced after it.
 */
async function tracedParts(token: string, site: string, mode?: "complete") {
  const trace = join(dir, `${token}.strace`);
  const args = [JSON.stringify(readings(site, 2, 13)), ...(mode === undefined ? [] : [mode])];
  await promisify(execFile)("strace", [
    ...["-f", "-qq", "-y", "-e", "trace=rename,fsync,fdatasync", "-o", trace],
    ...[process.execPath, "--import", "tsx", CHILD, path, token, ...args],
  ]);
  const lines = readFileSync(trace, "utf8").split("\n");
  const synced = (i: number) => /\b(fsync|fdatasync)\(\d+<([^>]+)>/.exec(lines[i] ?? "")?.[2];
  const parts: { table: string; kind: string; filesBefore: boolean; dirAfter: boolean }[] = [];
  lines.forEach((line, i) => {
    const m = /rename\("([^"]+)\/(tmp_[^/"]+)\/", "\1\/([^/"]+)\/"\)/.exec(line);
    if (m === null) return;
    const [, table, tmp, part] = m as unknown as [string, string, string, string];
    const before = lines.slice(0, i).map((_, j) => synced(j));
    const after = lines.slice(i + 1).map((_, j) => synced(i + 1 + j));
    parts.push({
      table,
      kind: tmp.replace(/_\d{4,6}_.*|_all_.*/, ""),
      filesBefore: before.includes(`${table}/${tmp}/data.bin`) && before.includes(`${table}/${tmp}/checksums.txt`),
      dirAfter: after.includes(`${table}/${part}`),
    });
  });
  return parts;
}

describe("every part on disk before an insert returns (migration 4)", () => {
  it("is set on every table Lifeline writes", async () => {
    const store = await TelemetryStore.open(new ChdbDriver(path));
    const tables = await store.driver.query<{ name: string; engine_full: string }>(
      "SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree' ORDER BY name",
    );
    await store.insertTelemetry(readings("sync", 1, 11), "sync:1");
    await store.close();
    const synced = tables.filter(
      (t) => t.engine_full.includes("fsync_after_insert = 1") && t.engine_full.includes("fsync_part_directory = 1"),
    );
    expect(synced.map((t) => t.name)).toEqual([
      "alert_events",
      "alert_silences",
      "devices",
      "quarantine",
      "series_index",
      "telemetry",
      "telemetry_1h",
      "telemetry_1m",
    ]);
    // The one table not synced: the record of migrations, which a re-run rebuilds.
    expect(tables.map((t) => t.name).filter((n) => !synced.some((t) => t.name === n))).toEqual(["schema_migrations"]);
  });

  it("an insert: each of its four parts' files synced before the part is renamed into place, its directory after", async () => {
    const parts = await tracedParts("sync:2", "sync");
    expect(parts).toHaveLength(4);
    expect(new Set(parts.map((p) => p.table)).size).toBe(4);
    expect(parts.map(({ filesBefore, dirAfter }) => ({ filesBefore, dirAfter }))).toEqual(
      Array(4).fill({ filesBefore: true, dirAfter: true }),
    );
  });

  it("completing an insert: the parts it attaches too (their files are the scratch tables', synced when written)", async () => {
    const parts = await tracedParts("sync-complete:2", "sync-complete", "complete");
    const summary = parts.map(({ kind, filesBefore, dirAfter }) => ({ kind, filesBefore, dirAfter }));
    // The insert's rows in a scratch table, then for each of the four tables its share in a scratch
    // table of its shape, attached (hard links to those synced files, renamed into place).
    const written = { kind: "tmp_insert", filesBefore: true, dirAfter: true };
    const attached = { kind: "tmp_replace_from", filesBefore: false, dirAfter: true };
    expect(summary).toEqual([written, ...Array(4).fill([written, attached]).flat()]);
    expect(new Set(parts.filter((p) => p.kind === "tmp_replace_from").map((p) => p.table)).size).toBe(4);
  });
});
