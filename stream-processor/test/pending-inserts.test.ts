/** The files of inserts written down: how they are written, named, taken, left and set aside. */
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { tracedCalls } from "@lifeline/durable-fs";
import { TELEMETRY_COLUMNS, TelemetryRowBinary, TelemetryStore } from "@lifeline/store";
import { describe, expect, it, vi } from "vitest";
import { PendingInserts } from "../src/pending-inserts.ts";
import { emptyTelemetrySinkStats, telemetrySink } from "../src/telemetry-sink.ts";
import { envelope, insertOf, messages, usePendingFixture } from "./pending-fixture.ts";
import { streamMessages } from "./stream-messages.ts";

const fx = usePendingFixture();

describe("an insert written down", () => {
  it("is on disk before it is sent: the file synced, renamed into place, and its folder synced", async () => {
    const pendingDir = join(fx.dir, "pending-synced");
    const trace = join(fx.dir, "pending.strace");
    const child = join(dirname(fileURLToPath(import.meta.url)), "pending-write-child.ts");
    await promisify(execFile)("strace", [
      ...["-f", "-qq", "-y", "-e", "trace=rename,fsync,fdatasync", "-o", trace],
      ...[process.execPath, "--import", "tsx", child, pendingDir],
    ]);
    const calls = tracedCalls(trace, pendingDir);
    const file = "DIR/000000000000000-tlm%3A1-2%3A2%3Aabc.native";
    expect(calls.map((c) => c.replaceAll(/\/\d{15}-/g, "/000000000000000-"))).toEqual([
      `fsync(<${file}.tmp>) = 0`,
      `rename("${file}.tmp", "${file}") = 0`,
      "fsync(<DIR>) = 0",
    ]);
    expect(new PendingInserts(pendingDir).left().map((p) => p.bytes.length)).toEqual([3 * 1024 * 1024]);
  });
});

describe("an insert written ahead", () => {
  it("is neither waiting nor completed until taken for its insert; taken, it is like one written then", async () => {
    const pendingDir = join(fx.dir, "pending-ahead");
    const pending = new PendingInserts(pendingDir);
    const { token, bytes } = insertOf([envelope(60), envelope(61)]);
    await pending.writeAhead(token, bytes);
    expect(readdirSync(pendingDir)).toHaveLength(1);
    // Completed now, before its batch sends it, its rows would be stored twice.
    expect([pending.waiting, pending.left()]).toEqual([false, []]);
    expect(await pending.replay(async () => expect.unreachable())).toEqual({ sent: 0, setAside: 0 });

    const file = await pending.take(token);
    expect(file).toBe(join(pendingDir, readdirSync(pendingDir)[0] as string));
    expect(pending.waiting).toBe(true);
    expect(pending.left().map((p) => [p.token, Buffer.compare(p.bytes, bytes)])).toEqual([[token, 0]]);
    // Prepared again (a batch before it stored one of its envelopes): the same file, the new rows.
    const fewer = insertOf([envelope(61)]).bytes;
    expect(pending.write(token, fewer)).toBe(file);
    expect(pending.left().map((p) => p.bytes.length)).toEqual([fewer.length]);
    pending.done(token);
    expect(readdirSync(pendingDir)).toEqual([]);
    expect(await pending.take(token)).toBeUndefined();
  });

  it("comes, at the next start, after every insert that was sent: in the order of their turns, not their writes", async () => {
    const pendingDir = join(fx.dir, "pending-ahead-order");
    const pending = new PendingInserts(pendingDir);
    const [a, b, c] = [[70], [71], [72]].map((seqs) => insertOf(seqs.map(envelope))) as [
      ReturnType<typeof insertOf>,
      ReturnType<typeof insertOf>,
      ReturnType<typeof insertOf>,
    ];
    // B and C are written ahead while A is looked up; A is written down after, and sent; then B's turn.
    await pending.writeAhead(b.token, b.bytes);
    await pending.writeAhead(c.token, c.bytes);
    pending.write(a.token, a.bytes);
    const taken = await pending.take(b.token);
    // Killed here, during B's insert: A (not forgotten), B (sent), C (never sent), in that order.
    const left = new PendingInserts(pendingDir).left();
    expect(left.map((p) => p.token)).toEqual([a.token, b.token, c.token]);
    expect(left.map((p) => Buffer.compare(p.bytes, [a, b, c][left.indexOf(p)]?.bytes as Buffer))).toEqual([0, 0, 0]);
    expect(left[1]?.file).toBe(taken);
    expect(left.map((p) => basename(p.file).replace(/\d{15}-.*/, ""))).toEqual(["", "", "ahead"]);
  });

  it("is removed once written when its batch needs it no more; one that could not be written is not taken", async () => {
    const pendingDir = join(fx.dir, "pending-ahead-2");
    const pending = new PendingInserts(pendingDir);
    const { token, bytes } = insertOf([envelope(62)]);
    const written = pending.writeAhead(token, bytes);
    pending.done(token); // before the write ended
    await written;
    await new Promise((resolve) => setImmediate(resolve));
    expect(readdirSync(pendingDir)).toEqual([]);

    const failed = insertOf([envelope(63)]);
    const blocked = new PendingInserts(pendingDir); // its names start from the mocked clock
    const names = [1, 2].map(
      (stamp) => `ahead${String(stamp).padStart(15, "0")}-${encodeURIComponent(failed.token)}.native`,
    );
    for (const name of names) mkdirSync(join(pendingDir, `${name}.tmp`)); // not writable
    vi.spyOn(Date, "now").mockReturnValueOnce(1);
    await expect(blocked.writeAhead(failed.token, failed.bytes)).rejects.toThrow(/EISDIR/);
    expect(await blocked.take(failed.token)).toBeUndefined();
    expect(blocked.waiting).toBe(false);
    // Forgotten while its write fails: nothing to remove, and no rejection left unhandled.
    vi.spyOn(Date, "now").mockReturnValueOnce(1); // the next name in this run all the same: 2
    const failing = blocked.writeAhead(failed.token, failed.bytes);
    blocked.done(failed.token);
    await expect(failing).rejects.toThrow(/EISDIR/);
    await new Promise((resolve) => setImmediate(resolve));
    expect(readdirSync(pendingDir).sort()).toEqual(names.map((name) => `${name}.tmp`));
    // The next start removes what a write cut short left (a crash between open and rename).
    for (const name of names) {
      rmSync(join(pendingDir, `${name}.tmp`), { recursive: true });
      writeFileSync(join(pendingDir, `${name}.tmp`), failed.bytes.subarray(0, 10));
    }
    expect([new PendingInserts(pendingDir).waiting, readdirSync(pendingDir)]).toEqual([false, []]);
  });

  it("of a batch prepared while the one before is stored, is the file its insert reads", async () => {
    const site = "heat-8";
    const envelopes = Array.from({ length: 9 }, (_, i) => ({ ...envelope(i + 700), site }));
    const pendingDir = join(fx.dir, "pending-ahead-3");
    const inserts: { onDisk: string | undefined; same: boolean; files: number }[] = [];
    const seen = await TelemetryStore.open(fx.store.driver);
    seen.insertTelemetryNative = async (bytes: Buffer, token: string, onDisk?: string) => {
      const same = onDisk !== undefined && Buffer.compare(readFileSync(onDisk), bytes) === 0;
      inserts.push({ onDisk: onDisk?.replace(pendingDir, "DIR"), same, files: readdirSync(pendingDir).length });
      return fx.store.insertTelemetryNative(bytes, token, onDisk);
    };
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(seen, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(streamMessages(envelopes.slice(0, 3), false, 3_000)); // the sink now knows what was stored
    const second = streamMessages(envelopes.slice(3, 6), false, 3_000);
    const third = streamMessages(envelopes.slice(5, 9), false, 4_000); // envelope 705 again: a copy
    const preparedSecond = sink.prepare(second);
    const preparedThird = sink.prepare(third);
    await vi.waitFor(() => expect(readdirSync(pendingDir)).toHaveLength(2)); // both written ahead
    await sink(second, preparedSecond);
    // Stored by the second batch, envelope 705 makes the third's judgement stale: prepared again,
    // written again into its file, without the copy.
    await sink(third, preparedThird);
    expect(inserts.map((i) => [i.same, i.files])).toEqual([
      [true, 1],
      [true, 2],
      [true, 1],
    ]);
    expect(new Set(inserts.map((i) => i.onDisk)).size).toBe(3);
    expect(stats).toMatchObject({ envelopes: 9, rows: 27, copies: 1 });
    expect(readdirSync(pendingDir)).toEqual([]);
    const [r] = await fx.store.driver.query<{ rows: string; identities: string }>(
      `SELECT count() AS rows, uniqExact(seq, idx) AS identities FROM telemetry WHERE site = '${site}'`,
    );
    expect([Number(r?.rows), Number(r?.identities)]).toEqual([27, 27]);
  });
});

describe("an insert ClickHouse refuses for good", () => {
  it("is set aside with its reason instead of stopping every later batch; a good one is still sent", async () => {
    const site = "heat-6";
    const pendingDir = join(fx.dir, "pending-5");
    mkdirSync(pendingDir, { recursive: true });
    const batchOf = (seqs: number[]) => {
      const rows = new TelemetryRowBinary();
      for (const seq of seqs) rows.addEnvelope({ ...envelope(seq), site }, seq + 100);
      return rows.toBuffer();
    };
    const cutShort = batchOf([400]);
    // A batch whose last bytes are missing (the disk lost them), a text file with a row that does not
    // parse, and a good batch written after both.
    writeFileSync(join(pendingDir, "000000000000001-tlm-cut.rbn"), cutShort.subarray(0, cutShort.length - 3));
    const header = `${TELEMETRY_COLUMNS.join("\t")}\n`;
    writeFileSync(join(pendingDir, "000000000000002-tlm-text.tsvn"), `${header}not\ta\trow\n`);
    writeFileSync(join(pendingDir, "000000000000003-tlm-good.rbn"), batchOf([401]));

    const stats = emptyTelemetrySinkStats();
    const pending = new PendingInserts(pendingDir);
    const sink = telemetrySink(fx.store, stats, { replayCheckAfterMs: 2 * 3_600_000, pending });
    await sink(messages([{ ...envelope(402), site }], false));
    expect(stats).toMatchObject({ resentInserts: 1, refusedInserts: 2, rows: 3 });
    expect(readdirSync(pendingDir)).toEqual(["refused"]);
    const refused = pending.refused();
    expect(refused.map((r) => r.name)).toEqual(["000000000000001-tlm-cut.rbn", "000000000000002-tlm-text.tsvn"]);
    expect(refused[0]?.reason).toMatch(/^insert into telemetry failed: Code: 33\. .*Cannot read all data/);
    expect(refused[1]?.reason).toMatch(/^insert into telemetry failed: Code: (6|27|72)\./);
    const seqs = await fx.store.driver.query<{ seq: string }>(
      `SELECT DISTINCT toString(seq) AS seq FROM telemetry WHERE site = '${site}' ORDER BY seq`,
    );
    expect(seqs.map((r) => r.seq)).toEqual(["401", "402"]);

    // The next batch does not meet them again.
    await sink(messages([{ ...envelope(403), site }], false));
    expect(stats).toMatchObject({ resentInserts: 1, refusedInserts: 2, rows: 6 });
  });
});
