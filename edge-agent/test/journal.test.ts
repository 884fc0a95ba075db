import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Journal, type JournalOptions } from "../src/journal/index.ts";
import {
  cleanup,
  deadPid,
  journalBytesOnDisk,
  payloadFor,
  range,
  segmentFiles,
  tempDir,
  text,
} from "./fixtures/journal/journal-fixtures.ts";

afterEach(cleanup);

const open = (dir: string, more: Partial<JournalOptions> = {}) =>
  Journal.open({ dir, maxBytes: 1024 * 1024, fsync: "always", fsyncIntervalMs: 60_000, ...more });

const bytesOf = (ns: number[]) => ns.reduce((sum, n) => sum + payloadFor(n).length, 0);

describe("Journal: append, read, ack", () => {
  it("reads unacked records in id order and continues the ids after a reopen", async () => {
    const dir = tempDir();
    const journal = await open(dir);
    expect(journal.lastId()).toBe(0);
    expect(journal.firstUnacked()).toBeUndefined();
    expect(await journal.appendMany(range(1, 5).map(payloadFor))).toEqual([1, 2, 3, 4, 5]);
    expect(await journal.append(payloadFor(6))).toBe(6);

    const all = await journal.read(1, 100);
    expect(all.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all.map((r) => text(r.payload))).toEqual(range(1, 6).map((n) => text(payloadFor(n))));

    journal.ack(2);
    journal.ack(4);
    expect((await journal.read(1, 100)).map((r) => r.id)).toEqual([1, 3, 5, 6]);
    expect((await journal.read(4, 100)).map((r) => r.id)).toEqual([5, 6]);
    expect(journal.firstUnacked()).toBe(1);
    journal.ack(1);
    expect(journal.firstUnacked()).toBe(3);
    expect(journal.stats()).toMatchObject({
      appended: 6,
      acked: 3,
      pending: 3,
      pendingBytes: bytesOf([3, 5, 6]),
      segments: 1,
      overflowed: 0,
      recoveredTornBytes: 0,
    });
    await journal.close();

    const again = await open(dir);
    expect(again.lastId()).toBe(6);
    expect(again.firstUnacked()).toBe(3);
    expect((await again.read(0, 100)).map((r) => r.id)).toEqual([3, 5, 6]);
    expect(again.stats()).toMatchObject({ appended: 0, acked: 0, pending: 3, pendingBytes: bytesOf([3, 5, 6]) });
    expect(await again.append(payloadFor(7))).toBe(7);
    await again.close();
  });

  it("close() persists every ack, in order or not, across segments", async () => {
    const dir = tempDir();
    const journal = await open(dir, { segmentBytes: 1024 });
    await journal.appendMany(range(1, 300).map(payloadFor));
    const acked = new Set<number>();
    for (let id = 300; id >= 1; id--) if (id % 3 !== 0 || (id > 100 && id <= 130)) acked.add(id);
    for (const id of acked) journal.ack(id);
    await journal.close();

    const again = await open(dir, { segmentBytes: 1024 });
    const left = range(1, 300).filter((id) => !acked.has(id));
    const read = await again.read(1, 1000);
    expect(read.map((r) => r.id)).toEqual(left);
    expect(read.map((r) => text(r.payload))).toEqual(left.map((n) => text(payloadFor(n))));
    expect(again.stats().pending).toBe(left.length);
    expect(again.firstUnacked()).toBe(3);
    await again.close();
  });

  it("after a crash only the acks since the last ack-file write are forgotten: those records come again", async () => {
    const dir = tempDir();
    const journal = await open(dir);
    await journal.appendMany(range(1, 10).map(payloadFor));
    for (const id of [1, 2, 3, 4, 5]) journal.ack(id);
    await journal.flush();
    for (const id of [6, 7, 8]) journal.ack(id);
    // The files as a kill -9 at this moment leaves them (the page cache survives a kill),
    // the lock naming a process that is gone.
    const crashed = tempDir();
    cpSync(dir, crashed, { recursive: true });
    writeFileSync(join(crashed, "lock"), `${deadPid()}\n`);
    await journal.close();

    const after = await open(crashed);
    expect((await after.read(1, 100)).map((r) => r.id)).toEqual([6, 7, 8, 9, 10]);
    expect(after.lastId()).toBe(10);
    await after.close();
  });

  it("read honours maxRecords and maxBytes, and returns a first record larger than maxBytes", async () => {
    const dir = tempDir();
    const journal = await open(dir);
    const payloads = [Buffer.alloc(100, 1), Buffer.alloc(100, 2), Buffer.alloc(300, 3), Buffer.alloc(50, 4)];
    await journal.appendMany(payloads);
    expect((await journal.read(1, 2)).map((r) => r.id)).toEqual([1, 2]);
    expect((await journal.read(1, 10, 250)).map((r) => r.id)).toEqual([1, 2]);
    expect((await journal.read(3, 10, 250)).map((r) => r.id)).toEqual([3]);
    expect((await journal.read(3, 10, 400)).map((r) => r.id)).toEqual([3, 4]);
    expect(await journal.read(1, 0)).toEqual([]);
    expect(await journal.read(5, 10)).toEqual([]);
    await journal.close();
  });

  it("reads from disk what the tail cache no longer holds, and from both across the boundary", async () => {
    const dir = tempDir();
    // 2000 bytes of cache: only the last ~30 records are in memory.
    const journal = await open(dir, { segmentBytes: 2048, tailCacheBytes: 2000 });
    await journal.appendMany(range(1, 400).map(payloadFor));
    for (const id of range(1, 400)) if (id % 7 === 0) journal.ack(id);
    const left = range(1, 400).filter((id) => id % 7 !== 0);
    const records = [];
    for (let from = 1; ; ) {
      const page = await journal.read(from, 45);
      if (page.length === 0) break;
      records.push(...page);
      from = (page.at(-1)?.id as number) + 1;
    }
    expect(records.map((r) => r.id)).toEqual(left);
    expect(records.map((r) => text(r.payload))).toEqual(left.map((n) => text(payloadFor(n))));
    await journal.close();
  });

  it("ack of an unknown, repeated, negative or future id changes nothing", async () => {
    const dir = tempDir();
    const journal = await open(dir);
    await journal.appendMany(range(1, 3).map(payloadFor));
    for (const id of [0, -1, 4, 1000, 2, 2, 1.5]) journal.ack(id);
    expect(journal.stats()).toMatchObject({ acked: 1, pending: 2 });
    expect((await journal.read(1, 10)).map((r) => r.id)).toEqual([1, 3]);
    await journal.close();
  });

  it("appends waiting at the same time share one fdatasync (group commit)", async () => {
    const dir = tempDir();
    const journal = await open(dir);
    const ids = await Promise.all(range(1, 100).map((n) => journal.append(payloadFor(n))));
    expect(ids).toEqual(range(1, 100));
    expect(journal.stats().fsyncs).toBe(1);
    await journal.appendMany(range(101, 150).map(payloadFor));
    expect(journal.stats().fsyncs).toBe(2);
    await journal.close();
  });

  it("read while appending sees a gap-free prefix with the right payloads", async () => {
    const dir = tempDir();
    const journal = await open(dir, { fsync: "never", segmentBytes: 4096, tailCacheBytes: 3000 });
    let next = 1;
    const appender = async () => {
      while (next <= 1000) {
        const n = next++;
        expect(await journal.append(payloadFor(n))).toBeGreaterThan(0);
      }
    };
    const appends = Promise.all([appender(), appender(), appender()]);
    let reads = 0;
    let last = 0;
    while (last < 1000) {
      const page = await journal.read(1, 5000);
      expect(page.map((r) => r.id)).toEqual(range(1, page.length));
      expect(page.every((r) => text(r.payload) === text(payloadFor(r.id)))).toBe(true);
      last = page.length;
      reads++;
      // read() answers from memory without I/O: give the appenders' writes a turn.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await appends;
    expect(reads).toBeGreaterThan(10);
    await journal.close();
  });
});

describe("Journal: segments", () => {
  it("deletes a sealed segment once all of its records are acked, in any order, never the active one", async () => {
    const dir = tempDir();
    // 1024-byte segments hold 10 frames of 16 + 84 bytes after the 8-byte header.
    const journal = await open(dir, { segmentBytes: 1024 });
    const payload = Buffer.alloc(84, 7);
    await journal.appendMany(range(1, 25).map(() => payload));
    expect(segmentFiles(dir)).toEqual(["0000000000000001.seg", "0000000000000011.seg", "0000000000000021.seg"]);

    for (const id of [10, 3, 7, 1, 9, 2, 8, 4, 6]) journal.ack(id);
    expect(journal.firstUnacked()).toBe(5);
    journal.ack(5);
    expect(journal.firstUnacked()).toBe(11);
    for (const id of range(21, 25)) journal.ack(id);
    await journal.flush();
    expect(segmentFiles(dir)).toEqual(["0000000000000011.seg", "0000000000000021.seg"]);
    expect(journal.stats()).toMatchObject({ segments: 2, pending: 10, pendingBytes: 840 });
    expect(journal.stats().diskBytes).toBe(journalBytesOnDisk(dir));

    for (const id of range(11, 20).reverse()) journal.ack(id);
    await journal.flush();
    expect(segmentFiles(dir)).toEqual(["0000000000000021.seg"]);
    expect(journal.firstUnacked()).toBeUndefined();
    expect(await journal.append(payload)).toBe(26);
    await journal.close();
    expect(segmentFiles(dir)).toEqual(["0000000000000021.seg"]);
  });

  it("refuses a payload larger than a segment, and appendMany accepts all or none", async () => {
    const dir = tempDir();
    const journal = await open(dir, { segmentBytes: 1024 });
    await expect(journal.append(Buffer.alloc(1001))).rejects.toMatchObject({
      name: "JournalError",
      code: "EDGE_JOURNAL_RECORD_TOO_LARGE",
      detail: { bytes: 1001, maxBytes: 1000 },
    });
    await expect(journal.appendMany([Buffer.alloc(10), Buffer.alloc(2000)])).rejects.toMatchObject({
      code: "EDGE_JOURNAL_RECORD_TOO_LARGE",
    });
    expect(journal.lastId()).toBe(0);
    expect(await journal.append(Buffer.alloc(1000))).toBe(1);
    await journal.close();
  });

  it("refuses use after close", async () => {
    const journal = await open(tempDir());
    await journal.close();
    await expect(journal.append(Buffer.alloc(1))).rejects.toMatchObject({ code: "EDGE_JOURNAL_CLOSED" });
    await expect(journal.read(1, 1)).rejects.toMatchObject({ code: "EDGE_JOURNAL_CLOSED" });
    journal.ack(1);
    await journal.close();
  });

  it("refuses options that leave no second segment to drop", async () => {
    await expect(open(tempDir(), { maxBytes: 4096, segmentBytes: 4096 })).rejects.toMatchObject({
      code: "EDGE_JOURNAL_BAD_OPTIONS",
    });
  });
});

describe("Journal: lock", () => {
  it("refuses a second open of the same directory while the first holds it", async () => {
    const dir = tempDir();
    const first = await open(dir);
    await expect(open(dir)).rejects.toMatchObject({
      code: "EDGE_JOURNAL_LOCKED",
      detail: { dir, pid: process.pid },
    });
    await first.close();
    expect(existsSync(join(dir, "lock"))).toBe(false);
    const second = await open(dir);
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(`${process.pid}\n`);
    await second.close();
  });

  it("takes over the lock of a process that is gone", async () => {
    const dir = tempDir();
    const journal = await open(dir);
    await journal.append(payloadFor(1));
    await journal.close();
    writeFileSync(join(dir, "lock"), `${deadPid()}\n`);
    const again = await open(dir);
    expect(readFileSync(join(dir, "lock"), "utf8")).toBe(`${process.pid}\n`);
    expect((await again.read(1, 10)).map((r) => r.id)).toEqual([1]);
    await again.close();
  });
});
