import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Envelope, encodePack, packSubject } from "@lifeline/contracts";
import { ensureStreams, JetStreamPublisher, type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { ChdbDriver, TelemetryStore } from "@lifeline/store";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StreamProcessor, startStreamProcessor } from "../src/stream-processor.ts";

// Recent source times: readings older than JetStream's duplicate window (2 h) are always looked up.
const T0 = Math.floor(Date.now() / 1_000) * 1_000 - 60_000;
const dir = mkdtempSync(join(tmpdir(), "lifeline-packs-"));
let server: NatsServerProcess;
let nats: NatsConnection;
let store: TelemetryStore;
let publisher: JetStreamPublisher;
let processor: StreamProcessor;
let packs = 0;

const envelope = (seq: number, readings = 2): Envelope => ({
  v: 1,
  site: "gas-7",
  gateway: "gw-g",
  device: "pt-1",
  bootId: "boot-c",
  seq,
  readings: Array.from({ length: readings }, (_, i) => ({
    metric: `p${i}`,
    ts: T0 + seq * 1_000,
    value: seq * 10 + i,
    unit: "kPa",
    quality: "good" as const,
  })),
});

function publishPack(entries: { payload: string | Envelope; resend?: boolean }[]) {
  const data = encodePack(
    entries.map((e) => ({
      payload: Buffer.from(typeof e.payload === "string" ? e.payload : JSON.stringify(e.payload)),
      resend: e.resend ?? false,
    })),
  );
  return publisher.publish(packSubject("gas-7"), data, `test-pack-${packs++}`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stored(): Promise<{ rows: number; identities: number; seqs: number[] }> {
  const [r] = await store.driver.query<{ rows: string; identities: string; seqs: number[] }>(
    `SELECT count() AS rows, uniqExact(gateway, boot_id, seq, idx) AS identities, arraySort(groupUniqArray(seq)) AS seqs
     FROM telemetry WHERE gateway = 'gw-g'`,
  );
  return { rows: Number(r?.rows), identities: Number(r?.identities), seqs: (r?.seqs ?? []).map(Number) };
}

const start = () => startStreamProcessor({ nats, store, lingerMs: 20, batchSize: 1_000 });
const handled = (n: number) =>
  until(`${n} messages handled`, () => (processor.stats().telemetry.messages >= n ? true : undefined));

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
  nats = await connect({ servers: server.url });
  await ensureStreams(await jetstreamManager(nats));
  store = await TelemetryStore.open(new ChdbDriver(join(dir, "chdb")));
  publisher = new JetStreamPublisher(nats, 5_000);
  processor = await start();
});
afterAll(async () => {
  await processor?.stop();
  publisher?.close();
  await nats?.close();
  await server?.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("packed envelopes are stored exactly once", () => {
  it("drops a copy that comes in another pack, without asking ClickHouse", async () => {
    await publishPack([{ payload: envelope(0) }, { payload: envelope(1) }, { payload: envelope(2) }]);
    await publishPack([{ payload: envelope(1) }, { payload: envelope(3) }, { payload: envelope(3) }]);
    await handled(2);
    expect(await stored()).toEqual({ rows: 8, identities: 8, seqs: [0, 1, 2, 3] });
    const t = processor.stats().telemetry;
    expect({ packs: t.packs, envelopes: t.envelopes, copies: t.copies, checkedRows: t.checkedRows }).toEqual({
      packs: 2,
      envelopes: 4,
      copies: 2,
      checkedRows: 0,
    });
  });

  it("quarantines a broken pack whole, and a bad entry alone", async () => {
    await publisher.publish(packSubject("gas-7"), Buffer.from("LLP1\u0000\u0000\u0000\u0000\u0009{}"), "test-broken");
    await publishPack([
      { payload: "not json" },
      { payload: envelope(4) },
      { payload: { ...envelope(5), site: "other" } },
    ]);
    await handled(4);
    const rows = await store.driver.query<{ code: string; reason: string; subject: string }>(
      "SELECT code, reason, subject FROM quarantine ORDER BY stream_seq, code",
    );
    expect(rows).toEqual([
      {
        code: "CONTRACT_PACK_MALFORMED",
        reason: "entry 0 at byte 4: 9 bytes declared, 2 left",
        subject: "tlm._pack.gas-7",
      },
      {
        code: "CONTRACT_MALFORMED_JSON",
        reason: expect.stringContaining("not valid UTF-8 JSON"),
        subject: "tlm._pack.gas-7",
      },
      {
        code: "STREAM_SUBJECT_MISMATCH",
        reason: "subject tlm._pack.gas-7 does not match the envelope's route",
        subject: "tlm._pack.gas-7",
      },
    ]);
    expect((await stored()).seqs).toEqual([0, 1, 2, 3, 4]);
  });

  it("after a restart, looks up copies that may have been stored before it, and flagged resends", async () => {
    await processor.stop();
    processor = await start();
    // 2 is a copy stored by the previous processor (older than the newest reading stored: looked up);
    // 6 is new and newer than anything stored (not looked up); 7 is new but flagged as a resend.
    await publishPack([{ payload: envelope(2) }, { payload: envelope(6) }, { payload: envelope(7), resend: true }]);
    await handled(1);
    expect(await stored()).toEqual({ rows: 14, identities: 14, seqs: [0, 1, 2, 3, 4, 6, 7] });
    const t = processor.stats().telemetry;
    expect({ checkedRows: t.checkedRows, replayedRows: t.replayedRows, copies: t.copies }).toEqual({
      checkedRows: 4,
      replayedRows: 2,
      copies: 0,
    });
  });
});
