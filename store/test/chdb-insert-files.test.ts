import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
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
});
