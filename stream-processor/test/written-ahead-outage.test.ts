import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver, type InsertRepair, TelemetryStore } from "@lifeline/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PendingInserts } from "../src/pending-inserts.ts";
import { emptyTelemetrySinkStats, telemetrySink } from "../src/telemetry-sink.ts";
import { streamMessages } from "./stream-messages.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-ahead-outage-"));
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
let store: TelemetryStore;

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(join(dir, "clickhouse")));
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const envelope = (seq: number): Envelope => ({
  v: 1,
  site: "heat-9",
  gateway: "gw-o",
  device: `m-${seq % 3}`,
  bootId: "boot-o",
  seq,
  readings: [{ metric: "supply_c", ts: T0 + seq * 1_000, value: seq, unit: "", quality: "good" }],
});
const messages = (seqs: number[], redelivered = false) => streamMessages(seqs.map(envelope), redelivered, 100);

describe("batches written ahead while ClickHouse is down", () => {
  it("leave no file behind when they fail before their turn; what must be completed stays", async () => {
    // ClickHouse "goes down" after the first batch: inserts and completions fail until it is back.
    let down = false;
    const flaky = await TelemetryStore.open(store.driver);
    flaky.insertTelemetryNative = async (bytes: Buffer, token: string, onDisk?: string) => {
      if (down) throw new Error("ClickHouse unreachable");
      return store.insertTelemetryNative(bytes, token, onDisk);
    };
    flaky.completeInsert = async (rows, token): Promise<InsertRepair | undefined> => {
      if (down) throw new Error("ClickHouse unreachable");
      return store.completeInsert(rows, token);
    };
    const pendingDir = join(dir, "pending");
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(flaky, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(messages([0, 1]));

    down = true;
    await expect(sink(messages([2, 3]))).rejects.toThrow("ClickHouse unreachable"); // written down, not committed
    const mustComplete = readdirSync(pendingDir);
    expect(mustComplete).toHaveLength(1);
    // Batches of other make-ups, each prepared (and written) ahead as the consumer does, each failing
    // while the one written down cannot be completed.
    for (const seqs of [[4], [5, 6], [7]]) {
      const batch = messages(seqs);
      const prepared = sink.prepare(batch);
      expect(prepared?.rows.rows).toBeGreaterThan(0);
      await expect(sink(batch, prepared)).rejects.toThrow("ClickHouse unreachable");
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // the writes ahead settle, then go
    expect(readdirSync(pendingDir)).toEqual(mustComplete);

    down = false;
    await sink(messages([2, 3, 4, 5, 6, 7], true));
    expect(readdirSync(pendingDir)).toEqual([]);
    const stored = await store.driver.query<{ n: number; ids: number }>(
      "SELECT count() AS n, uniqExact(seq) AS ids FROM telemetry WHERE site = 'heat-9'",
    );
    expect(stored).toEqual([{ n: 8, ids: 8 }]);
    expect(stats).toMatchObject({ resentInserts: 1 });
  });
});
