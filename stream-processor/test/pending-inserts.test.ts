import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Envelope } from "@lifeline/contracts";
import { tracedCalls } from "@lifeline/durable-fs";
import {
  ChdbDriver,
  envelopeRows,
  TELEMETRY_COLUMNS,
  TelemetryNative,
  TelemetryRowBinary,
  TelemetryStore,
  toTabSeparated,
} from "@lifeline/store";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { dedupToken } from "../src/dedup-token.ts";
import { PendingInserts } from "../src/pending-inserts.ts";
import { emptyTelemetrySinkStats, telemetrySink } from "../src/telemetry-sink.ts";
import { streamMessages } from "./stream-messages.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-pending-"));
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
let store: TelemetryStore;

/** Envelope `seq` of meter m-(seq mod 4): three readings a minute apart. */
const envelope = (seq: number): Envelope => ({
  v: 1,
  site: "heat-3",
  gateway: "gw-h",
  device: `m-${seq % 4}`,
  bootId: "boot-p",
  seq,
  readings: ["supply_c", "return_c", "flow"].map((metric, i) => ({
    metric,
    ts: T0 + seq * 60_000 + i,
    value: seq + i / 10,
    unit: "",
    quality: "good" as const,
  })),
});

/** The messages as JetStream delivers them to the sink (stream sequence = envelope seq + 100). */
const messages = (envelopes: Envelope[], redelivered: boolean) => streamMessages(envelopes, redelivered, 100);

/** The insert the sink makes of the envelopes delivered fresh: its token and its bytes. */
function insertOf(envelopes: Envelope[]): { token: string; bytes: Buffer } {
  const batch = messages(envelopes, false);
  const rows = new TelemetryNative();
  for (const m of batch) rows.addEnvelope(JSON.parse(Buffer.from(m.data).toString()) as Envelope, m.seq);
  return { token: dedupToken("tlm", batch), bytes: rows.toBuffer() };
}

/** Readings of `site` in raw, and counted by the rollups and the series index. */
async function siteCounts(site: string): Promise<Record<string, number>> {
  const one = async (sql: string) => Number((await store.driver.query<{ n: string }>(sql, { site }))[0]?.n ?? 0);
  return {
    raw: await one("SELECT count() AS n FROM telemetry WHERE site = {site:String}"),
    minutes: await one("SELECT sum(samples) AS n FROM telemetry_1m WHERE site = {site:String}"),
    hours: await one("SELECT sum(samples) AS n FROM telemetry_1h WHERE site = {site:String}"),
    index: await one("SELECT sum(samples) AS n FROM series_index WHERE site = {site:String}"),
  };
}

const counts = () => siteCounts("heat-3");

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(join(dir, "clickhouse")));
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("an insert written down", () => {
  it("is on disk before it is sent: the file synced, renamed into place, and its folder synced", async () => {
    const pendingDir = join(dir, "pending-synced");
    const trace = join(dir, "pending.strace");
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
    const pendingDir = join(dir, "pending-ahead");
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
    const pendingDir = join(dir, "pending-ahead-order");
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
    const pendingDir = join(dir, "pending-ahead-2");
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
    const pendingDir = join(dir, "pending-ahead-3");
    const inserts: { onDisk: string | undefined; same: boolean; files: number }[] = [];
    const seen = await TelemetryStore.open(store.driver);
    seen.insertTelemetryNative = async (bytes: Buffer, token: string, onDisk?: string) => {
      const same = onDisk !== undefined && Buffer.compare(readFileSync(onDisk), bytes) === 0;
      inserts.push({ onDisk: onDisk?.replace(pendingDir, "DIR"), same, files: readdirSync(pendingDir).length });
      return store.insertTelemetryNative(bytes, token, onDisk);
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
    const [r] = await store.driver.query<{ rows: string; identities: string }>(
      `SELECT count() AS rows, uniqExact(seq, idx) AS identities FROM telemetry WHERE site = '${site}'`,
    );
    expect([Number(r?.rows), Number(r?.identities)]).toEqual([27, 27]);
  });
});

describe("an insert cut off between the raw table and the rollups", () => {
  it("is completed at the next start: the rollups get what they lack, raw is not doubled", async () => {
    const envelopes = Array.from({ length: 20 }, (_, i) => envelope(i + 1));
    const { token, bytes } = insertOf(envelopes);

    // The crash, reproduced: the insert was written down, ClickHouse committed the raw part, and the
    // process died before the 1-minute view (and so the views fed by it) wrote theirs.
    const pendingDir = join(dir, "pending");
    new PendingInserts(pendingDir).write(token, bytes);
    await store.driver.query("DETACH TABLE telemetry_1m_mv");
    try {
      await store.insertTelemetryNative(bytes, token);
    } finally {
      await store.driver.query("ATTACH TABLE telemetry_1m_mv");
    }
    expect(await counts()).toEqual({ raw: 60, minutes: 0, hours: 0, index: 0 });

    // The next run: JetStream redelivers the unacknowledged batch, in another make-up (one message
    // more), so its token differs and only the written-down insert can complete the rollups.
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink([...messages(envelopes, true), ...messages([envelope(21)], false)]);
    // Raw held the insert; the minutes, the hours and the index each lacked its 60 readings.
    expect(stats).toMatchObject({
      resentInserts: 1,
      checkedRows: 60,
      replayedRows: 60,
      rows: 3,
      repairedReadings: 180,
    });
    expect(await counts()).toEqual({ raw: 63, minutes: 63, hours: 63, index: 63 });
    expect(readdirSync(pendingDir)).toEqual([]);

    // Completed once more (say that run crashed before it forgot the file): nothing changes.
    new PendingInserts(pendingDir).write(token, bytes);
    const again = emptyTelemetrySinkStats();
    await telemetrySink(store, again, { replayCheckAfterMs: 2 * 3_600_000, pending: new PendingInserts(pendingDir) })(
      messages([envelope(21)], true),
    );
    expect(again).toMatchObject({ resentInserts: 1, repairedReadings: 0, replayedRows: 3, rows: 0 });
    expect(await counts()).toEqual({ raw: 63, minutes: 63, hours: 63, index: 63 });
    const distinct = await store.driver.query<{ n: string }>(
      "SELECT uniqExact(gateway, boot_id, seq, idx) AS n FROM telemetry WHERE site = 'heat-3'",
    );
    expect(Number(distinct[0]?.n)).toBe(63);
  });

  it("completes a rollup that kept the block in its deduplication log and lost its part", async () => {
    const site = "heat-9";
    const envelopes = Array.from({ length: 20 }, (_, i) => ({ ...envelope(i + 300), site }));
    const { token, bytes } = insertOf(envelopes);

    // The crash, reproduced: killed inside the 1-minute rollup's commit, after its deduplication log
    // took the block and before the part was renamed into place — the part is gone at the next start.
    const pendingDir = join(dir, "pending-cut");
    new PendingInserts(pendingDir).write(token, bytes);
    const minuteParts = async () =>
      (
        await store.driver.query<{ name: string; path: string }>(
          "SELECT name, path FROM system.parts WHERE database = currentDatabase() AND table = 'telemetry_1m' AND active",
        )
      ).map((p) => p.path);
    await store.driver.exec("SYSTEM STOP MERGES telemetry_1m");
    const before = new Set(await minuteParts());
    await store.insertTelemetryNative(bytes, token);
    const lost = (await minuteParts()).filter((p) => !before.has(p));
    expect(lost).toHaveLength(1);
    await store.close();
    rmSync(lost[0] as string, { recursive: true });
    store = await TelemetryStore.open(new ChdbDriver(join(dir, "clickhouse")));
    expect(await siteCounts(site)).toEqual({ raw: 60, minutes: 0, hours: 60, index: 60 });

    // The next run sends the written-down insert again: every table drops it as a duplicate, the
    // minutes included — and the check after it finds the minutes' share missing and adds it.
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(messages(envelopes, true));
    expect(stats).toMatchObject({ resentInserts: 1, repairedReadings: 60, unexplainedBuckets: 0, replayedRows: 60 });
    expect(await siteCounts(site)).toEqual({ raw: 60, minutes: 60, hours: 60, index: 60 });
    expect(readdirSync(pendingDir)).toEqual([]);
  });

  it("is completed before a later batch written ahead of it and never sent: the buckets they share come out whole", async () => {
    // The chaos suite's processor kills, reproduced: batch A (redelivered, so looked up first) is
    // written down only after its look-ups, while batch B, prepared meanwhile, was written ahead;
    // A's raw part is committed and the process dies before the rollups'. Completed B first (its
    // file is the older one), each would find the buckets they share short by both shares — not its
    // own — and leave them short for good.
    const site = "heat-12";
    // One meter, one minute: every reading of A shares its bucket with one of B. A quarter of an hour
    // ahead, after what the sink looks up as maybe stored (up to 10 min ahead): B needs no look-up.
    const inOneMinute = (seq: number): Envelope => {
      const e = envelope(seq);
      return {
        ...e,
        site,
        device: "m-0",
        readings: e.readings.map((r, i) => ({ ...r, ts: T0 + 45 * 60_000 + seq * 10 + i })),
      };
    };
    const a = [inOneMinute(900), inOneMinute(901)];
    const b = [inOneMinute(902), inOneMinute(903)];
    const pendingDir = join(dir, "pending-order");

    const crashing = await TelemetryStore.open(store.driver);
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(crashing, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(streamMessages([{ ...envelope(899), site: "heat-12b" }], false, 100)); // the sink now knows what was stored
    const batchB = messages(b, false);
    crashing.storedMessageRows = async (rows) => {
      // B is handed over while A is looked up: prepared, and written ahead.
      sink.prepare(batchB);
      await vi.waitFor(() => expect(readdirSync(pendingDir).filter((n) => !n.endsWith(".tmp"))).toHaveLength(1));
      return store.storedMessageRows(rows);
    };
    crashing.insertTelemetryBatch = async (rows, token, onDisk) => {
      await store.driver.query("DETACH TABLE telemetry_1m_mv");
      try {
        await store.insertTelemetryBatch(rows, token, onDisk);
      } finally {
        await store.driver.query("ATTACH TABLE telemetry_1m_mv");
      }
      throw new Error("killed before the rollups committed");
    };
    await expect(sink(messages(a, true))).rejects.toThrow("killed before the rollups committed");
    expect(readdirSync(pendingDir)).toHaveLength(2);
    expect(await siteCounts(site)).toEqual({ raw: 6, minutes: 0, hours: 0, index: 0 });

    // The next run completes A, then B, before its first batch: A's redelivered envelopes and B's.
    const next = emptyTelemetrySinkStats();
    await telemetrySink(store, next, { replayCheckAfterMs: 2 * 3_600_000, pending: new PendingInserts(pendingDir) })([
      ...messages(a, true),
      ...messages(b, true),
    ]);
    // A: 6 readings into the minutes, the hours and the index; B: 6 into each of the four tables.
    expect(next).toMatchObject({ resentInserts: 2, repairedReadings: 3 * 6 + 4 * 6, unexplainedBuckets: 0, rows: 0 });
    expect(await siteCounts(site)).toEqual({ raw: 12, minutes: 12, hours: 12, index: 12 });
    expect(readdirSync(pendingDir)).toEqual([]);
  });

  it("is forgotten once ClickHouse committed it", async () => {
    const pendingDir = join(dir, "pending-2");
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(messages([envelope(40), envelope(41)], false));
    expect(stats).toMatchObject({ resentInserts: 0, rows: 6 });
    expect(readdirSync(pendingDir)).toEqual([]);
    expect(new PendingInserts(pendingDir).left()).toEqual([]);
  });

  it("after an insert that failed part-way, is completed before the next batch, whatever its make-up", async () => {
    const site = "heat-4";
    const envelopes = Array.from({ length: 10 }, (_, i) => ({ ...envelope(i + 200), site }));
    // The store as the sink sees it; its first telemetry insert commits raw only and then fails,
    // as one cut off by a timeout after the server wrote the raw part.
    let failNext = true;
    const flaky = await TelemetryStore.open(store.driver);
    flaky.insertTelemetryNative = async (bytes: Buffer, token: string) => {
      if (!failNext) return store.insertTelemetryNative(bytes, token);
      failNext = false;
      await store.driver.query("DETACH TABLE telemetry_1m_mv");
      try {
        await store.insertTelemetryNative(bytes, token);
      } finally {
        await store.driver.query("ATTACH TABLE telemetry_1m_mv");
      }
      throw new Error("timed out");
    };
    const pendingDir = join(dir, "pending-3");
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(flaky, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await expect(sink(messages(envelopes, false))).rejects.toThrow("timed out");
    expect(readdirSync(pendingDir)).toHaveLength(1);
    const count = async (table: string, what: string) =>
      Number(
        (await store.driver.query<{ n: string }>(`SELECT ${what} AS n FROM ${table} WHERE site = '${site}'`))[0]?.n ??
          0,
      );
    expect(await count("telemetry", "count()")).toBe(30);
    expect(await count("telemetry_1m", "sum(samples)")).toBe(0);

    // The messages come back in two batches of another make-up (other tokens).
    await sink(messages(envelopes.slice(0, 4), true));
    await sink(messages(envelopes.slice(4), true));
    // Sent again, the insert's envelopes are known stored: their messages are dropped as copies
    // without a look-up.
    expect(stats).toMatchObject({ resentInserts: 1, copies: 10, replayedRows: 0, rows: 0 });
    expect(readdirSync(pendingDir)).toEqual([]);
    expect(await count("telemetry", "count()")).toBe(30);
    expect(await count("telemetry", "uniqExact(gateway, boot_id, seq, idx)")).toBe(30);
    expect(await count("telemetry_1m", "sum(samples)")).toBe(30);
    expect(await count("telemetry_1h", "sum(samples)")).toBe(30);
  });

  it("once a failed insert is sent again, a copy of one of its envelopes in another message is not stored twice", async () => {
    const site = "heat-7";
    const envelopes = Array.from({ length: 8 }, (_, i) => ({ ...envelope(i + 500), site }));
    // The second telemetry insert commits, then its caller hears a timeout.
    let failNext = false;
    const flaky = await TelemetryStore.open(store.driver);
    flaky.insertTelemetryNative = async (bytes: Buffer, token: string) => {
      await store.insertTelemetryNative(bytes, token);
      if (failNext) {
        failNext = false;
        throw new Error("timed out");
      }
    };
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(flaky, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(join(dir, "pending-6")),
    });
    await sink(streamMessages(envelopes.slice(0, 1), false, 1_000)); // the sink now knows what was stored
    failNext = true;
    await expect(sink(streamMessages(envelopes.slice(1, 5), false, 1_000))).rejects.toThrow("timed out");
    // Before the failed batch comes back, a client resends 3 of its envelopes (unflagged) with 3 new ones.
    await sink(streamMessages(envelopes.slice(2, 8), false, 2_000));
    expect(stats).toMatchObject({ resentInserts: 1, copies: 3, envelopes: 4, rows: 12 });
    const [r] = await store.driver.query<{ rows: string; identities: string }>(
      `SELECT count() AS rows, uniqExact(seq, idx) AS identities FROM telemetry WHERE site = '${site}'`,
    );
    expect([Number(r?.rows), Number(r?.identities)]).toEqual([24, 24]);
  });

  it("sends files of earlier versions: TabSeparated with the columns they name, or rows only with today's", async () => {
    const site = "heat-5";
    const tsvOf = (seqs: number[]) =>
      toTabSeparated(seqs.flatMap((seq) => envelopeRows({ ...envelope(seq), site }, seq + 100)));
    // Written by a version whose columns came in another order (as after a migration): the rows and
    // the header reversed.
    const reversed = (text: Buffer) =>
      Buffer.from(
        text
          .toString()
          .trimEnd()
          .split("\n")
          .map((line) => `${line.split("\t").reverse().join("\t")}\n`)
          .join(""),
      );
    const pendingDir = join(dir, "pending-4");
    mkdirSync(pendingDir, { recursive: true });
    const header = Buffer.from(`${[...TELEMETRY_COLUMNS].reverse().join("\t")}\n`);
    writeFileSync(
      join(pendingDir, `000000000000002-${encodeURIComponent("tlm-named")}.tsvn`),
      Buffer.concat([header, reversed(tsvOf([300, 301]))]),
    );
    writeFileSync(join(pendingDir, `000000000000001-${encodeURIComponent("tlm-first")}.tsv`), tsvOf([302]));
    expect(
      new PendingInserts(pendingDir).left().map((p) => [p.token, p.format === "TabSeparated" && p.columns?.[0]]),
    ).toEqual([
      ["tlm-first", undefined],
      ["tlm-named", "stream_seq"],
    ]);

    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(messages([{ ...envelope(303), site }], false));
    expect(stats).toMatchObject({ resentInserts: 2, rows: 3 });
    expect(readdirSync(pendingDir)).toEqual([]);
    const rows = await store.driver.query<{ device: string; metric: string; value: number; seq: string }>(
      `SELECT device, metric, value, seq FROM telemetry WHERE site = '${site}' AND metric = 'flow' ORDER BY seq`,
    );
    expect(rows.map((r) => [r.device, r.metric, r.value, Number(r.seq)])).toEqual([
      ["m-0", "flow", 300.2, 300],
      ["m-1", "flow", 301.2, 301],
      ["m-2", "flow", 302.2, 302],
      ["m-3", "flow", 303.2, 303],
    ]);
  });
});

describe("an insert ClickHouse refuses for good", () => {
  it("is set aside with its reason instead of stopping every later batch; a good one is still sent", async () => {
    const site = "heat-6";
    const pendingDir = join(dir, "pending-5");
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
    const sink = telemetrySink(store, stats, { replayCheckAfterMs: 2 * 3_600_000, pending });
    await sink(messages([{ ...envelope(402), site }], false));
    expect(stats).toMatchObject({ resentInserts: 1, refusedInserts: 2, rows: 3 });
    expect(readdirSync(pendingDir)).toEqual(["refused"]);
    const refused = pending.refused();
    expect(refused.map((r) => r.name)).toEqual(["000000000000001-tlm-cut.rbn", "000000000000002-tlm-text.tsvn"]);
    expect(refused[0]?.reason).toMatch(/^insert into telemetry failed: Code: 33\. .*Cannot read all data/);
    expect(refused[1]?.reason).toMatch(/^insert into telemetry failed: Code: (6|27|72)\./);
    const seqs = await store.driver.query<{ seq: string }>(
      `SELECT DISTINCT toString(seq) AS seq FROM telemetry WHERE site = '${site}' ORDER BY seq`,
    );
    expect(seqs.map((r) => r.seq)).toEqual(["401", "402"]);

    // The next batch does not meet them again.
    await sink(messages([{ ...envelope(403), site }], false));
    expect(stats).toMatchObject({ resentInserts: 1, refusedInserts: 2, rows: 6 });
  });
});
