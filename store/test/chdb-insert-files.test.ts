import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-insert-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ChdbDriver's insert files", () => {
  it("are removed after each insert; a previous process's are removed at start, another driver's in flight are not", async () => {
    const files = join(dir, "insert-files");
    mkdirSync(files, { recursive: true });
    writeFileSync(join(files, "left-by-a-killed-process"), "1\n");
    const writer = new ChdbDriver(dir);
    expect(readdirSync(files)).toEqual([]);
    await writer.exec("CREATE TABLE t (id UInt32) ENGINE = MergeTree ORDER BY id");
    expect(await writer.insertTabSeparated("t", ["id"], Buffer.from("1\n2\n"))).toEqual({ rowsWritten: 2 });
    expect(readdirSync(files)).toEqual([]);
    const failed = await writer.insertTabSeparated("t", ["id"], Buffer.from("x\n")).catch((e: unknown) => e);
    expect(failed).toMatchObject({ code: "STORE_INSERT_FAILED" });
    expect(readdirSync(files)).toEqual([]);

    // A reader opened later in the same process (one process per folder) leaves the writer's files be.
    writeFileSync(join(files, "in-flight"), "3\n");
    const reader = new ChdbDriver(dir);
    expect(existsSync(join(files, "in-flight"))).toBe(true);
    expect(await reader.query("SELECT count() AS n FROM t")).toEqual([{ n: 2 }]);
    await reader.close();
    await writer.close();
  });

  it("are links to rows already on disk, read from there, not written again; else the rows are written", async () => {
    const driver = new ChdbDriver(join(dir, "linked"));
    await driver.exec("CREATE TABLE u (id UInt32) ENGINE = MergeTree ORDER BY id");
    // What was written down differs from the bytes passed here: the rows stored tell which was read.
    const onDisk = join(dir, "written-down.rbn");
    writeFileSync(onDisk, rowBinaryIds([7, 8, 9]));
    await driver.insertRowBinary("u", rowBinaryIds([1]), {}, onDisk);
    expect(await driver.query("SELECT groupArray(id) AS ids FROM u")).toEqual([{ ids: [7, 8, 9] }]);
    expect(readFileSync(onDisk)).toEqual(rowBinaryIds([7, 8, 9])); // left where it was, as it was
    expect(readdirSync(join(dir, "linked", "insert-files"))).toEqual([]);
    // A file that cannot be linked (here: none) leaves the bytes passed to be written.
    await driver.insertRowBinary("u", rowBinaryIds([2]), {}, join(dir, "no-such-file.rbn"));
    expect(await driver.query("SELECT groupArray(id) AS ids FROM (SELECT id FROM u ORDER BY id)")).toEqual([
      { ids: [2, 7, 8, 9] },
    ]);
    await driver.close();
  });
});

/** `RowBinaryWithNamesAndTypes` of one column `id UInt32`: count, name, type, then each value, little-endian. */
function rowBinaryIds(ids: number[]): Buffer {
  const header = Buffer.from([1, 2, ...Buffer.from("id"), 6, ...Buffer.from("UInt32")]);
  const values = Buffer.alloc(4 * ids.length);
  for (const [i, id] of ids.entries()) values.writeUInt32LE(id, 4 * i);
  return Buffer.concat([header, values]);
}
