/** An insert whose raw part ClickHouse committed and whose rollups it did not: completed at the next start. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { envelopeRows, TELEMETRY_COLUMNS, TelemetryStore, toTabSeparated } from "@lifeline/store";
import { describe, expect, it, vi } from "vitest";
import { PendingInserts } from "../src/pending-inserts.ts";
import { emptyTelemetrySinkStats, telemetrySink } from "../src/telemetry-sink.ts";
import { envelope, insertOf, messages, T0, usePendingFixture } from "./pending-fixture.ts";
import { streamMessages } from "./stream-messages.ts";

const fx = usePendingFixture();

describe("an insert cut off between the raw table and the rollups", () => {
  it("is completed at the next start: the rollups get what they lack, raw is not doubled", async () => {
    const envelopes = Array.from({ length: 20 }, (_, i) => envelope(i + 1));
    const { token, bytes } = insertOf(envelopes);

    // The crash, reproduced: the insert was written down, ClickHouse committed the raw part, and the
    // process died before the 1-minute view (and so the views fed by it) wrote theirs.
    const pendingDir = join(fx.dir, "pending");
    new PendingInserts(pendingDir).write(token, bytes);
    await fx.rollupsCutOff(() => fx.store.insertTelemetryNative(bytes, token));
    expect(await fx.siteCounts()).toEqual({ raw: 60, minutes: 0, hours: 0, index: 0 });

    // The next run: JetStream redelivers the unacknowledged batch, in another make-up (one message
    // more), so its token differs and only the written-down insert can complete the rollups.
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(fx.store, stats, {
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
    expect(await fx.siteCounts()).toEqual({ raw: 63, minutes: 63, hours: 63, index: 63 });
    expect(readdirSync(pendingDir)).toEqual([]);

    // Completed once more (say that run crashed before it forgot the file): nothing changes.
    new PendingInserts(pendingDir).write(token, bytes);
    const again = emptyTelemetrySinkStats();
    await telemetrySink(fx.store, again, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    })(messages([envelope(21)], true));
    expect(again).toMatchObject({ resentInserts: 1, repairedReadings: 0, replayedRows: 3, rows: 0 });
    expect(await fx.siteCounts()).toEqual({ raw: 63, minutes: 63, hours: 63, index: 63 });
    const distinct = await fx.store.driver.query<{ n: string }>(
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
    const pendingDir = join(fx.dir, "pending-cut");
    new PendingInserts(pendingDir).write(token, bytes);
    const minuteParts = async () =>
      (
        await fx.store.driver.query<{ name: string; path: string }>(
          "SELECT name, path FROM system.parts WHERE database = currentDatabase() AND table = 'telemetry_1m' AND active",
        )
      ).map((p) => p.path);
    await fx.store.driver.exec("SYSTEM STOP MERGES telemetry_1m");
    const before = new Set(await minuteParts());
    await fx.store.insertTelemetryNative(bytes, token);
    const lost = (await minuteParts()).filter((p) => !before.has(p));
    expect(lost).toHaveLength(1);
    await fx.store.close();
    rmSync(lost[0] as string, { recursive: true });
    await fx.open();
    expect(await fx.siteCounts(site)).toEqual({ raw: 60, minutes: 0, hours: 60, index: 60 });

    // The next run sends the written-down insert again: every table drops it as a duplicate, the
    // minutes included — and the check after it finds the minutes' share missing and adds it.
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(fx.store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(messages(envelopes, true));
    expect(stats).toMatchObject({ resentInserts: 1, repairedReadings: 60, unexplainedBuckets: 0, replayedRows: 60 });
    expect(await fx.siteCounts(site)).toEqual({ raw: 60, minutes: 60, hours: 60, index: 60 });
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
    const pendingDir = join(fx.dir, "pending-order");

    const crashing = await TelemetryStore.open(fx.store.driver);
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
      return fx.store.storedMessageRows(rows);
    };
    crashing.insertTelemetryBatch = async (rows, token, onDisk) => {
      await fx.rollupsCutOff(() => fx.store.insertTelemetryBatch(rows, token, onDisk));
      throw new Error("killed before the rollups committed");
    };
    await expect(sink(messages(a, true))).rejects.toThrow("killed before the rollups committed");
    expect(readdirSync(pendingDir)).toHaveLength(2);
    expect(await fx.siteCounts(site)).toEqual({ raw: 6, minutes: 0, hours: 0, index: 0 });

    // The next run completes A, then B, before its first batch: A's redelivered envelopes and B's.
    const next = emptyTelemetrySinkStats();
    await telemetrySink(fx.store, next, { replayCheckAfterMs: 2 * 3_600_000, pending: new PendingInserts(pendingDir) })(
      [...messages(a, true), ...messages(b, true)],
    );
    // A: 6 readings into the minutes, the hours and the index; B: 6 into each of the four tables.
    expect(next).toMatchObject({ resentInserts: 2, repairedReadings: 3 * 6 + 4 * 6, unexplainedBuckets: 0, rows: 0 });
    expect(await fx.siteCounts(site)).toEqual({ raw: 12, minutes: 12, hours: 12, index: 12 });
    expect(readdirSync(pendingDir)).toEqual([]);
  });

  it("is forgotten once ClickHouse committed it", async () => {
    const pendingDir = join(fx.dir, "pending-2");
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(fx.store, stats, {
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
    const flaky = await TelemetryStore.open(fx.store.driver);
    flaky.insertTelemetryNative = async (bytes: Buffer, token: string) => {
      if (!failNext) return fx.store.insertTelemetryNative(bytes, token);
      failNext = false;
      await fx.rollupsCutOff(() => fx.store.insertTelemetryNative(bytes, token));
      throw new Error("timed out");
    };
    const pendingDir = join(fx.dir, "pending-3");
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(flaky, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await expect(sink(messages(envelopes, false))).rejects.toThrow("timed out");
    expect(readdirSync(pendingDir)).toHaveLength(1);
    const count = async (table: string, what: string) =>
      Number(
        (await fx.store.driver.query<{ n: string }>(`SELECT ${what} AS n FROM ${table} WHERE site = '${site}'`))[0]
          ?.n ?? 0,
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
    const flaky = await TelemetryStore.open(fx.store.driver);
    flaky.insertTelemetryNative = async (bytes: Buffer, token: string) => {
      await fx.store.insertTelemetryNative(bytes, token);
      if (failNext) {
        failNext = false;
        throw new Error("timed out");
      }
    };
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(flaky, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(join(fx.dir, "pending-6")),
    });
    await sink(streamMessages(envelopes.slice(0, 1), false, 1_000)); // the sink now knows what was stored
    failNext = true;
    await expect(sink(streamMessages(envelopes.slice(1, 5), false, 1_000))).rejects.toThrow("timed out");
    // Before the failed batch comes back, a client resends 3 of its envelopes (unflagged) with 3 new ones.
    await sink(streamMessages(envelopes.slice(2, 8), false, 2_000));
    expect(stats).toMatchObject({ resentInserts: 1, copies: 3, envelopes: 4, rows: 12 });
    const [r] = await fx.store.driver.query<{ rows: string; identities: string }>(
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
    const pendingDir = join(fx.dir, "pending-4");
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
    const sink = telemetrySink(fx.store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(messages([{ ...envelope(303), site }], false));
    expect(stats).toMatchObject({ resentInserts: 2, rows: 3 });
    expect(readdirSync(pendingDir)).toEqual([]);
    const rows = await fx.store.driver.query<{ device: string; metric: string; value: number; seq: string }>(
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
