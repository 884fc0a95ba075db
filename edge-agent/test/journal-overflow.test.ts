import { afterEach, describe, expect, it } from "vitest";
import { Journal, type JournalOptions, type JournalRecord } from "../src/journal/index.ts";
import {
  cleanup,
  journalBytesOnDisk,
  range,
  segmentFiles,
  tempDir,
  text,
} from "./fixtures/journal/journal-fixtures.ts";

afterEach(cleanup);

// 1024-byte segments of 10 frames (8-byte header + 10 × (16 + 84)) = 1008 bytes; a 4096-byte
// budget holds four of them, so each fifth segment drops the oldest one.
const SEGMENT = 1024;
const MAX = 4096;
const payload = (id: number) => Buffer.from(`id ${id} `.padEnd(84, "."));

function openSmall(dir: string, lost: JournalRecord[][], more: Partial<JournalOptions> = {}): Promise<Journal> {
  return Journal.open({
    dir,
    maxBytes: MAX,
    segmentBytes: SEGMENT,
    fsync: "interval",
    fsyncIntervalMs: 60_000, // no ack-file write during the test: its size would move the budget
    onOverflow: (records) => lost.push(records),
    ...more,
  });
}

describe("Journal overflow", () => {
  it("drops the oldest segments when full and reports exactly the unacked records lost", async () => {
    const dir = tempDir();
    const lost: JournalRecord[][] = [];
    const journal = await openSmall(dir, lost);
    for (const id of range(1, 100)) {
      expect(await journal.append(payload(id))).toBe(id);
      expect(journal.stats().diskBytes).toBeLessThanOrEqual(MAX);
    }
    // One call per dropped segment, each in id order: 1-10, 11-20, … 51-60.
    expect(lost.map((records) => records.map((r) => r.id))).toEqual(
      range(0, 5).map((k) => range(10 * k + 1, 10 * k + 10)),
    );
    expect(lost.flat().every((r) => text(r.payload) === text(payload(r.id)))).toBe(true);
    expect(journal.stats()).toMatchObject({
      appended: 100,
      pending: 40,
      pendingBytes: 40 * 84,
      segments: 4,
      overflowed: 60,
      overflowedBytes: 60 * 84,
      diskBytes: 4 * 1008,
    });
    expect(journal.stats().diskBytes).toBe(journalBytesOnDisk(dir));
    expect(segmentFiles(dir)).toEqual(["61", "71", "81", "91"].map((id) => `${id.padStart(16, "0")}.seg`));
    expect(journal.firstUnacked()).toBe(61);
    const left = await journal.read(1, 1000);
    expect(left.map((r) => r.id)).toEqual(range(61, 100));
    expect(left.map((r) => text(r.payload))).toEqual(range(61, 100).map((id) => text(payload(id))));
    journal.ack(5); // dropped: a no-op
    expect(journal.stats().acked).toBe(0);
    await journal.close();
  });

  it("leaves acked records out of the report", async () => {
    const dir = tempDir();
    const lost: JournalRecord[][] = [];
    const journal = await openSmall(dir, lost);
    await journal.appendMany(range(1, 40).map(payload));
    for (const id of [1, 2, 3, 4, 5, 12, 20]) journal.ack(id);
    await journal.appendMany(range(41, 60).map(payload));
    expect(lost.flat().map((r) => r.id)).toEqual([...range(6, 11), ...range(13, 19)]);
    expect(journal.stats()).toMatchObject({ overflowed: 13, overflowedBytes: 13 * 84, pending: 40 });
    await journal.close();
  });

  it("reports records read back from disk after a reopen (nothing in memory)", async () => {
    const dir = tempDir();
    const before = await openSmall(dir, []);
    await before.appendMany(range(1, 40).map(payload));
    await before.close();

    const lost: JournalRecord[][] = [];
    const journal = await openSmall(dir, lost);
    // The ack file written at close (lastId) is part of the budget now: 24 bytes.
    expect(journal.stats().diskBytes).toBe(4 * 1008 + 24);
    await journal.appendMany(range(41, 45).map(payload));
    expect(lost.flat().map((r) => r.id)).toEqual(range(1, 10));
    expect(lost.flat().map((r) => text(r.payload))).toEqual(range(1, 10).map((id) => text(payload(id))));
    expect(journal.stats().diskBytes).toBe(journalBytesOnDisk(dir));
    expect(journal.stats().diskBytes).toBeLessThanOrEqual(MAX);
    await journal.close();
  });
});
