import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver, TelemetryStore } from "@lifeline/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StreamMessage } from "../src/jetstream-puller.ts";
import { quarantineSink } from "../src/quarantine-sink.ts";
import { emptyTelemetrySinkStats, telemetrySink } from "../src/telemetry-sink.ts";
import { streamMessages } from "./stream-messages.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-quarantine-once-"));
const path = join(dir, "clickhouse");
let store: TelemetryStore;

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(path));
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs `write`, then removes the quarantine part it made while the store is closed: the state a
 * process killed inside ClickHouse's commit leaves (the table's deduplication log holds the insert's
 * token, its part is gone — see store's insert-repair.test.ts for the kill itself).
 */
async function losingQuarantinePart(write: () => Promise<void>): Promise<void> {
  const parts = () =>
    store.driver.query<{ name: string; path: string }>(
      "SELECT name, path FROM system.parts WHERE database = currentDatabase() AND table = 'quarantine' AND active",
    );
  await store.driver.exec("SYSTEM STOP MERGES quarantine");
  const before = new Set((await parts()).map((p) => p.name));
  await write();
  const added = (await parts()).filter((p) => !before.has(p.name));
  expect(added).toHaveLength(1);
  await store.close();
  rmSync((added[0] as { path: string }).path, { recursive: true });
  store = await TelemetryStore.open(new ChdbDriver(path));
}

const quarantined = async (subject: string) =>
  store.driver.query<{ code: string; stream_seq: number }>(
    "SELECT code, stream_seq FROM quarantine WHERE subject = {subject:String} ORDER BY stream_seq",
    { subject },
  );

const message = (subject: string, seq: number, data: string, redelivered: boolean): StreamMessage => ({
  subject,
  data: Buffer.from(data),
  headers: undefined,
  seq,
  redelivered,
  ack() {},
  nak() {},
  working() {},
});

describe("quarantine rows of a redelivered batch", () => {
  it("telemetry: stored once, also when the first insert's part was lost and its token kept", async () => {
    const envelope: Envelope = {
      v: 1,
      site: "q-1",
      gateway: "gw-q",
      device: "m-1",
      bootId: "boot-q",
      seq: 1,
      readings: [{ metric: "flow", ts: Date.now() - 60_000, value: 1.5, unit: "", quality: "good" }],
    };
    const subject = "tlm.q-1.gw-q.m-2";
    const batch = (redelivered: boolean) => [
      ...streamMessages([envelope], redelivered, 500),
      message(subject, 502, "{not an envelope", redelivered),
    ];
    const stats = emptyTelemetrySinkStats();
    const sink = telemetrySink(store, stats, { replayCheckAfterMs: 2 * 3_600_000 });
    await losingQuarantinePart(() => sink(batch(false)));
    expect(await quarantined(subject)).toEqual([]);

    // Redelivered unchanged (the batch was not acknowledged): the same token, which the quarantine's
    // deduplication log still holds — the row is looked up instead, and written.
    const again = telemetrySink(store, emptyTelemetrySinkStats(), { replayCheckAfterMs: 2 * 3_600_000 });
    await again(batch(true));
    expect(await quarantined(subject)).toEqual([{ code: "CONTRACT_MALFORMED_JSON", stream_seq: 502 }]);
    await again(batch(true));
    expect(await quarantined(subject)).toEqual([{ code: "CONTRACT_MALFORMED_JSON", stream_seq: 502 }]);
    const raw = await store.driver.query<{ n: string }>("SELECT count() AS n FROM telemetry WHERE site = 'q-1'");
    expect(Number(raw[0]?.n)).toBe(1);
  });

  it("refused by the gateway (qrn): stored once, also when the first insert's part was lost", async () => {
    const subject = "qrn.q-2.gw-q";
    const batch = (redelivered: boolean) => [
      message(subject, 7, "frame 1", redelivered),
      message(subject, 8, "frame 2", redelivered),
    ];
    const stats = { quarantined: 0 };
    await losingQuarantinePart(() => quarantineSink(store, stats)(batch(false)));
    expect(await quarantined(subject)).toEqual([]);
    await quarantineSink(store, stats)(batch(true));
    await quarantineSink(store, stats)(batch(true));
    expect(await quarantined(subject)).toEqual([
      { code: "UNKNOWN", stream_seq: 7 },
      { code: "UNKNOWN", stream_seq: 8 },
    ]);
  });
});

describe("TelemetryStore.insertQuarantineMissing", () => {
  it("writes each row as many times as it is missing", async () => {
    const row = { source: "tlm", subject: "tlm.q-3.gw.d", code: "X", reason: "r", payload: "p", stream_seq: 9 };
    expect(await store.insertQuarantineMissing([row, row])).toBe(2);
    expect(await store.insertQuarantineMissing([row, row, row, { ...row, payload: "other" }])).toBe(2);
    expect(await store.insertQuarantineMissing([row, row, row])).toBe(0);
    const rows = await store.driver.query<{ payload: string; n: number }>(
      "SELECT payload, count() AS n FROM quarantine WHERE subject = 'tlm.q-3.gw.d' GROUP BY payload ORDER BY payload",
    );
    expect(rows).toEqual([
      { payload: "other", n: 1 },
      { payload: "p", n: 3 },
    ]);
  });
});
