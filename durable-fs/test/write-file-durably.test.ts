import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mkdirDurably, traceFileCalls, writeFileDurably, writeFileDurablyAsync } from "../src/index.ts";

const root = mkdtempSync(join(tmpdir(), "lifeline-durable-fs-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The two ways to replace a file, held to the same calls and outcomes. */
const writers: [string, (file: string, data: string | Uint8Array) => Promise<void>][] = [
  ["writeFileDurably", async (file, data) => writeFileDurably(file, data)],
  [
    "writeFileDurablyAsync",
    (file, data) => writeFileDurablyAsync(file, typeof data === "string" ? Buffer.from(data) : data),
  ],
];

describe.each(writers)("%s", (name, write) => {
  it("syncs the new content, renames it over the file, then syncs the folder — in that order", async () => {
    const dir = join(root, `replace-${name}`);
    mkdirSync(dir);
    const file = join(dir, "state.json");
    writeFileSync(file, "old");
    const calls = await traceFileCalls(dir, () => write(file, '{"v":2}'));
    expect(calls).toEqual([
      "fsync(<DIR/state.json.tmp>) = 0",
      'rename("DIR/state.json.tmp", "DIR/state.json") = 0',
      "fsync(<DIR>) = 0",
    ]);
    expect(readFileSync(file, "utf8")).toBe('{"v":2}');
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  it("leaves the old content when the new cannot be written", async () => {
    const dir = join(root, `refused-${name}`);
    mkdirSync(dir);
    const file = join(dir, "active.json");
    writeFileSync(file, "old");
    mkdirSync(`${file}.tmp`); // the temporary file cannot be opened for writing
    await expect(write(file, "new")).rejects.toThrow(/EISDIR/);
    expect(readFileSync(file, "utf8")).toBe("old");
  });

  it("writes every byte of a large buffer", async () => {
    const file = join(root, `large-${name}.bin`);
    const bytes = new Uint8Array(8 * 1024 * 1024).map((_, i) => i % 251);
    await write(file, bytes);
    expect(Buffer.compare(readFileSync(file), Buffer.from(bytes))).toBe(0);
  });
});

describe("mkdirDurably", () => {
  it("syncs each folder it creates into its parent, outermost first; one that exists costs nothing", async () => {
    const dir = join(root, "tree");
    mkdirSync(dir);
    const calls = await traceFileCalls(dir, () => mkdirDurably(join(dir, "a", "b", "c")));
    expect(calls.filter((c) => c.startsWith("fsync"))).toEqual([
      "fsync(<DIR>) = 0",
      "fsync(<DIR/a>) = 0",
      "fsync(<DIR/a/b>) = 0",
    ]);
    expect(calls.filter((c) => c.startsWith("mkdir") && c.endsWith("= 0"))).toEqual([
      'mkdir("DIR/a", 0777) = 0',
      'mkdir("DIR/a/b", 0777) = 0',
      'mkdir("DIR/a/b/c", 0777) = 0',
    ]);
    expect(await traceFileCalls(dir, () => mkdirDurably(join(dir, "a", "b")))).toEqual([]);
  });
});
