import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver, TelemetryStore } from "@lifeline/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyTelemetrySinkStats, telemetrySink } from "../src/telemetry-sink.ts";
import { streamMessages } from "./stream-messages.ts";

// The batch consumer prepares a batch (decodes it, encodes its fresh rows) while the batch before
// it is still being inserted. What that batch stores can make the judgement stale; the sink must
// then prepare it again, or it writes copies.

const dir = mkdtempSync(join(tmpdir(), "lifeline-ahead-"));
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;
let store: TelemetryStore;

// Each test's readings are newer than the ones before it: readings no newer than what was stored
// when a sink started are looked up (they may be an earlier processor's).
const BASE: Record<string, number> = { "gw-first": 0, "gw-apart": 1, "gw-copies": 2, "gw-late": 3 };

const envelope = (gateway: string, seq: number): Envelope => ({
  v: 1,
  site: "heat-3",
  gateway,
  device: "loop-1",
  bootId: "boot-a",
  seq,
  readings: ["supply", "return"].map((metric, i) => ({
    metric,
    ts: T0 + (BASE[gateway] as number) * 120_000 + seq * 1_000,
    value: seq * 10 + i,
    unit: "°C",
    quality: "good" as const,
  })),
});

const range = (gateway: string, from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => envelope(gateway, from + i));

async function stored(gateway: string): Promise<{ rows: number; identities: number }> {
  const [r] = await store.driver.query<{ rows: string; identities: string }>(
    `SELECT count() AS rows, uniqExact(boot_id, seq, idx) AS identities FROM telemetry WHERE gateway = '${gateway}'`,
  );
  return { rows: Number(r?.rows), identities: Number(r?.identities) };
}

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(join(dir, "clickhouse")));
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a batch prepared while the one before it is stored", () => {
  it("is not prepared before the first batch was stored: what is stored already is not known yet", async () => {
    const sink = telemetrySink(store, emptyTelemetrySinkStats(), { replayCheckAfterMs: 2 * HOUR });
    expect(sink.prepare(streamMessages(range("gw-first", 1, 3), false, 0))).toBeUndefined();
    await sink(streamMessages(range("gw-first", 1, 3), false, 0));
    expect(sink.prepare(streamMessages(range("gw-first", 4, 6), false, 3))).toBeDefined();
  });

  it("is stored from what was prepared when nothing stored since touches it", async () => {
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, { replayCheckAfterMs: 2 * HOUR });
    await sink(streamMessages(range("gw-apart", 1, 5), false, 100));
    const a = streamMessages(range("gw-apart", 6, 10), false, 100);
    const b = streamMessages(range("gw-apart", 11, 15), false, 100);
    const preparedA = sink.prepare(a);
    const preparedB = sink.prepare(b);
    await sink(a, preparedA);
    await sink(b, preparedB);
    expect(stats).toMatchObject({ envelopes: 15, rows: 30, copies: 0, checkedRows: 0 });
    expect(await stored("gw-apart")).toEqual({ rows: 30, identities: 30 });
  });

  it("is prepared again when the batch before stored some of its envelopes: the copies are dropped", async () => {
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, { replayCheckAfterMs: 2 * HOUR });
    await sink(streamMessages(range("gw-copies", 1, 2), false, 200));
    // Envelopes 8–12 come again in other messages (a client resent them unflagged).
    const a = streamMessages(range("gw-copies", 3, 12), false, 200);
    const b = streamMessages(range("gw-copies", 8, 17), false, 300);
    const preparedA = sink.prepare(a);
    const preparedB = sink.prepare(b); // judged before A was stored: 8–12 look fresh
    expect(preparedB?.rows.rows).toBe(20);
    await sink(a, preparedA);
    await sink(b, preparedB);
    expect(stats).toMatchObject({ envelopes: 17, rows: 34, copies: 5, checkedRows: 0 });
    expect(await stored("gw-copies")).toEqual({ rows: 34, identities: 34 });
  });

  it("is prepared again when its readings fell out of JetStream's duplicate window meanwhile: they are looked up", async () => {
    let clock = Date.now();
    const stats = emptyTelemetrySinkStats();
    const window = 45 * 60_000; // the readings are 24 min old: inside it when prepared
    const sink = telemetrySink(store, stats, { replayCheckAfterMs: window, now: () => clock });
    await sink(streamMessages(range("gw-late", 1, 2), false, 400));
    const b = streamMessages(range("gw-late", 3, 6), false, 400);
    const preparedB = sink.prepare(b);
    expect(preparedB?.rows.rows).toBe(8);
    clock += 25 * 60_000; // now 49 min old: a copy of them might no longer be dropped by JetStream
    await sink(b, preparedB);
    expect(stats).toMatchObject({ envelopes: 6, rows: 12, checkedRows: 8, replayedRows: 0 });
    expect(await stored("gw-late")).toEqual({ rows: 12, identities: 12 });
  });
});
