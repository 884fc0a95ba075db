import { spawn } from "node:child_process";
import { readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Journal, type JournalOptions } from "../src/journal/index.ts";
import { cleanup, payloadFor, range, segmentFiles, tempDir, text } from "./fixtures/journal/journal-fixtures.ts";

afterEach(cleanup);

const open = (dir: string, more: Partial<JournalOptions> = {}) =>
  Journal.open({ dir, maxBytes: 1024 * 1024, fsync: "always", fsyncIntervalMs: 60_000, ...more });

const FRAME_HEADER = 16;
const frameBytes = (n: number) => FRAME_HEADER + payloadFor(n).length;

/** A journal of records 1..count in one segment, closed; returns the segment's path. */
async function closedJournal(dir: string, count: number): Promise<string> {
  const journal = await open(dir);
  await journal.appendMany(range(1, count).map(payloadFor));
  await journal.close();
  return join(dir, segmentFiles(dir)[0] as string);
}

function flipByte(path: string, offset: number): void {
  const bytes = readFileSync(path);
  bytes[offset] = (bytes[offset] as number) ^ 0xff;
  writeFileSync(path, bytes);
}

async function ids(journal: Journal): Promise<number[]> {
  return (await journal.read(1, 100_000)).map((r) => r.id);
}

describe("Journal recovery", () => {
  it("cuts a record torn mid-write; the earlier records stay; the torn id is not issued again", async () => {
    const dir = tempDir();
    const segment = await closedJournal(dir, 20);
    const size = statSync(segment).size;
    truncateSync(segment, size - 7);

    const journal = await open(dir);
    expect(journal.stats().recoveredTornBytes).toBe(frameBytes(20) - 7);
    expect(statSync(segment).size).toBe(size - frameBytes(20));
    const records = await journal.read(1, 100);
    expect(records.map((r) => r.id)).toEqual(range(1, 19));
    expect(records.map((r) => text(r.payload))).toEqual(range(1, 19).map((n) => text(payloadFor(n))));
    // Id 20 was handed out before the damage (the ack file remembers it): the next one is 21.
    expect(journal.lastId()).toBe(20);
    expect(await journal.append(payloadFor(21))).toBe(21);
    expect(await ids(journal)).toEqual([...range(1, 19), 21]);
    await journal.close();
  });

  it("cuts a last record with a flipped byte (payload or id), then continues with the next id", async () => {
    for (const where of ["payload", "id"] as const) {
      const dir = tempDir();
      const segment = await closedJournal(dir, 20);
      const size = statSync(segment).size;
      flipByte(segment, where === "payload" ? size - 3 : size - frameBytes(20) + 9);
      rmSync(join(dir, "acks")); // a crash before any ack-file write: the segment alone tells the last id

      const journal = await open(dir);
      expect(journal.stats().recoveredTornBytes).toBe(frameBytes(20));
      expect(await ids(journal)).toEqual(range(1, 19));
      expect(await journal.append(payloadFor(20))).toBe(20);
      expect(text((await journal.read(20, 1))[0]?.payload as Uint8Array)).toBe(text(payloadFor(20)));
      await journal.close();
    }
  });

  it("trusts nothing after a damaged record in the middle of the last segment", async () => {
    const dir = tempDir();
    const segment = await closedJournal(dir, 20);
    const offsetOf11 = 8 + range(1, 10).reduce((sum, n) => sum + frameBytes(n), 0);
    flipByte(segment, offsetOf11 + FRAME_HEADER + 2);
    const size = statSync(segment).size;

    const journal = await open(dir);
    expect(journal.stats().recoveredTornBytes).toBe(size - offsetOf11);
    expect(await ids(journal)).toEqual(range(1, 10));
    expect(await journal.append(payloadFor(21))).toBe(21);
    await journal.close();
  });

  it("recovers a segment whose header was torn as it was created", async () => {
    const dir = tempDir();
    await closedJournal(dir, 5);
    writeFileSync(join(dir, "0000000000000006.seg"), Buffer.from([0x4c, 0x4c, 0x4a]));
    const journal = await open(dir);
    expect(journal.stats().recoveredTornBytes).toBe(3);
    expect(await ids(journal)).toEqual(range(1, 5));
    expect(await journal.append(payloadFor(6))).toBe(6);
    await journal.close();
    expect(segmentFiles(dir)).toEqual(["0000000000000001.seg", "0000000000000006.seg"]);
  });

  it("refuses a file named like a segment that is not one", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "0000000000000001.seg"), "not a journal segment");
    await expect(open(dir)).rejects.toMatchObject({
      code: "EDGE_JOURNAL_CORRUPT",
      detail: { file: join(dir, "0000000000000001.seg") },
    });
  });

  it("keeps every append a process printed as done before it was killed with SIGKILL", async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "fixtures/journal/append-child.ts"), dir],
      { cwd: join(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] },
    );
    const done = new Map<number, number>();
    let buffered = "";
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("close", (_code, signal) => resolve(signal)),
    );
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() as string;
      for (const line of lines) {
        const [id, n] = line.split(" ").map(Number);
        done.set(id as number, n as number);
      }
      if (done.size >= 1500) child.kill("SIGKILL");
    });
    expect(await exited).toBe("SIGKILL");

    const journal = await open(dir, { segmentBytes: 16 * 1024, maxBytes: 64 * 1024 * 1024 });
    const records = await journal.read(1, 1_000_000);
    const byId = new Map(records.map((r) => [r.id, text(r.payload)]));
    for (const [id, n] of done) expect(byId.get(id), `id ${id}`).toBe(text(payloadFor(n)));
    // Nothing is missing in between either: ids are gap-free up to the last one that survived.
    expect(records.map((r) => r.id)).toEqual(range(1, records.length));
    expect(records.length).toBeGreaterThanOrEqual(Math.max(...done.keys()));
    expect(segmentFiles(dir).length).toBeGreaterThan(3);
    await journal.close();
  });
});
