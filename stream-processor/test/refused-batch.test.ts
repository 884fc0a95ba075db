import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver, TelemetryStore } from "@lifeline/store";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PendingInserts } from "../src/pending-inserts.ts";
import { emptyTelemetrySinkStats, telemetrySink } from "../src/telemetry-sink.ts";
import { streamMessages } from "./stream-messages.ts";

// A batch ClickHouse refuses for good when it is first sent: here because a row breaks a CHECK
// constraint an operator put on the raw table (plausible values below 1,000,000).

const dir = mkdtempSync(join(tmpdir(), "lifeline-refused-"));
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
let store: TelemetryStore;

const envelope = (site: string, seq: number, value = seq): Envelope => ({
  v: 1,
  site,
  gateway: "gw-r",
  device: `pump-${seq % 3}`,
  bootId: "boot-r",
  seq,
  readings: ["pressure", "flow", "speed"].map((metric, i) => ({
    metric,
    ts: T0 + seq * 1000 + i,
    value: i === 1 ? value : seq + i,
    unit: "",
    quality: "good" as const,
  })),
});

const messages = (envelopes: Envelope[], redelivered = false) => streamMessages(envelopes, redelivered, 1000);

async function count(sql: string): Promise<number> {
  return Number((await store.driver.query<{ n: string }>(sql))[0]?.n ?? 0);
}

async function quarantine(site: string): Promise<{ code: string; reason: string; payload: string }[]> {
  return store.driver.query(
    `SELECT code, reason, payload FROM quarantine WHERE subject LIKE 'tlm.${site}.%' ORDER BY stream_seq`,
  );
}

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(join(dir, "clickhouse")));
  await store.driver.exec("ALTER TABLE telemetry ADD CONSTRAINT plausible CHECK value < 1000000");
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a batch ClickHouse refuses for good", () => {
  it("stores every envelope it takes and quarantines the one it refuses, with ClickHouse's reason, in 2·log2(n) inserts", async () => {
    const site = "pipe-1";
    const envelopes = Array.from({ length: 16 }, (_, i) => envelope(site, i + 1, i + 1 === 11 ? 5e6 : i + 1));
    const pendingDir = join(dir, "pending-1");
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    const inserts = vi.spyOn(store, "insertTelemetryNative");
    await sink(messages(envelopes));
    // The batch, then halves 16 → 8 → 4 → 2 → 1: two inserts a level.
    expect(inserts).toHaveBeenCalledTimes(1 + 2 * 4);
    inserts.mockRestore();

    expect(stats).toMatchObject({ envelopes: 15, rows: 45, quarantined: 1, refusedBatches: 1 });
    expect(await count(`SELECT count() AS n FROM telemetry WHERE site = '${site}'`)).toBe(45);
    expect(await count(`SELECT count() AS n FROM telemetry WHERE site = '${site}' AND seq = 11`)).toBe(0);
    expect(await count(`SELECT sum(samples) AS n FROM telemetry_1m WHERE site = '${site}'`)).toBe(45);
    expect(await count(`SELECT sum(samples) AS n FROM telemetry_1h WHERE site = '${site}'`)).toBe(45);
    const q = await quarantine(site);
    expect(q).toHaveLength(1);
    expect(q[0]?.code).toBe("STORE_INSERT_REFUSED");
    expect(q[0]?.reason).toMatch(
      /^insert into telemetry failed: Code: 469\. .*Constraint `plausible`.*value = 5000000/,
    );
    expect(JSON.parse(q[0]?.payload ?? "")).toEqual(envelopes[10]);
    // Nothing is left written down: what was stored is committed, what was refused is in quarantine.
    expect(readdirSync(pendingDir)).toEqual([]);

    // JetStream delivers the batch again (the ack was lost): the stored envelopes are known copies, the
    // refused one is refused again, and its quarantine row is dropped by the batch's token.
    await sink(messages(envelopes, true));
    expect(await count(`SELECT count() AS n FROM telemetry WHERE site = '${site}'`)).toBe(45);
    expect(await count(`SELECT sum(samples) AS n FROM telemetry_1m WHERE site = '${site}'`)).toBe(45);
    expect(await quarantine(site)).toHaveLength(1);
    expect(stats).toMatchObject({ rows: 45, copies: 15, checkedRows: 3, refusedBatches: 2 });

    // The next batch goes through as one insert.
    await sink(messages([envelope(site, 17)]));
    expect(await count(`SELECT count() AS n FROM telemetry WHERE site = '${site}'`)).toBe(48);
  });

  it("when every envelope is refused, quarantines them all within the insert budget and acknowledges the batch", async () => {
    const site = "pipe-2";
    const envelopes = Array.from({ length: 40 }, (_, i) => envelope(site, i + 1, 2e6 + i));
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, { replayCheckAfterMs: 2 * 3_600_000 });
    const inserts = vi.spyOn(store, "insertTelemetryNative");
    await sink(messages(envelopes));
    expect(inserts).toHaveBeenCalledTimes(1 + 32);
    inserts.mockRestore();

    expect(stats).toMatchObject({ envelopes: 0, rows: 0, quarantined: 40, refusedBatches: 1 });
    expect(await count(`SELECT count() AS n FROM telemetry WHERE site = '${site}'`)).toBe(0);
    const q = await quarantine(site);
    expect(q.map((r) => JSON.parse(r.payload).seq)).toEqual(envelopes.map((e) => e.seq));
    expect(q.every((r) => r.code === "STORE_INSERT_REFUSED" && /Code: 469\./.test(r.reason))).toBe(true);
    // Found alone before the budget ran out, or refused with the groups left then, and said so.
    const isolated = q.filter((r) => !r.reason.endsWith("(not isolated further)"));
    expect(isolated.length).toBeGreaterThan(0);
    expect(isolated.length).toBeLessThan(40);
  });

  it("a failure that may pass later is not quarantined: the batch fails and stays written down", async () => {
    const site = "pipe-3";
    const pendingDir = join(dir, "pending-3");
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, {
      replayCheckAfterMs: 2 * 3_600_000,
      pending: new PendingInserts(pendingDir),
    });
    await sink(messages([envelope(site, 1)])); // the sink's first batch reads the newest stored time
    await store.driver.exec("RENAME TABLE telemetry TO telemetry_away");
    try {
      // Newer than anything stored: sent without a look-up, so the insert is what fails.
      await expect(sink(messages([envelope(site, 50)]))).rejects.toThrow(/^insert into telemetry failed: Code: 60\./);
    } finally {
      await store.driver.exec("RENAME TABLE telemetry_away TO telemetry");
    }
    expect(stats).toMatchObject({ rows: 3, quarantined: 0, refusedBatches: 0 });
    expect(await quarantine(site)).toHaveLength(0);
    expect(readdirSync(pendingDir)).toHaveLength(1);
  });
});
