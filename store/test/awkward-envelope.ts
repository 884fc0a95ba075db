import type { Envelope } from "@lifeline/contracts";
import type { TelemetryStore } from "../src/telemetry-store.ts";

/** For the batch formats' tests (RowBinary, Native): one envelope whose values break a careless encoder. */
export const T0 = Date.UTC(2026, 10, 30, 8, 0, 0, 123);

/** 64-bit counters, a time before 1970, long and escaped strings; `bootId` tells the tests' batches apart. */
export function awkwardEnvelope(bootId: string): Envelope {
  return {
    v: 1,
    site: "pipe-2",
    gateway: "gw-9",
    device: "flow-7",
    bootId,
    seq: 2 ** 40 + 3,
    readings: [
      { metric: "flow", ts: T0, value: 0.1 + 0.2, unit: "m³/h", quality: "good" },
      { metric: "pressure", ts: -5, value: -1e300, unit: "", quality: "bad" },
      // 200 bytes: its length takes two bytes of varint. 2570 is 0x0A0A: two line feeds as bytes.
      { metric: "x".repeat(200), ts: 4102444800000, value: 2570, unit: "k\tW\n\\", quality: "uncertain" },
    ],
  };
}

/** The rows stored for `site`, every column as the tests compare it (64-bit counters as strings). */
export function storedRows(store: TelemetryStore, site: string): Promise<Record<string, unknown>[]> {
  return store.driver.query<Record<string, unknown>>(
    `SELECT site, gateway, device, metric, toUnixTimestamp64Milli(ts) AS ts, value, unit, quality, boot_id,
            toString(seq) AS seq, idx, toString(stream_seq) AS stream_seq
     FROM telemetry WHERE site = {site:String} ORDER BY idx`,
    { site },
  );
}

/** What {@link storedRows} must give for the envelope stored with stream sequence 2^50 + 1: every value exact. */
export function awkwardRowsStored(bootId: string): Record<string, unknown>[] {
  const common = {
    site: "pipe-2",
    gateway: "gw-9",
    device: "flow-7",
    boot_id: bootId,
    seq: String(2 ** 40 + 3),
    stream_seq: String(2 ** 50 + 1),
  };
  return [
    { ...common, metric: "flow", ts: T0, value: 0.30000000000000004, unit: "m³/h", quality: "good", idx: 0 },
    { ...common, metric: "pressure", ts: -5, value: -1e300, unit: "", quality: "bad", idx: 1 },
    {
      ...common,
      metric: "x".repeat(200),
      ts: 4102444800000,
      value: 2570,
      unit: "k\tW\n\\",
      quality: "uncertain",
      idx: 2,
    },
  ];
}
