import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChdbDriver } from "../src/chdb-driver.ts";
import type { TelemetryRow } from "../src/telemetry-rows.ts";
import { TelemetryStore } from "../src/telemetry-store.ts";

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
const dir = mkdtempSync(join(tmpdir(), "lifeline-identity-"));
let store: TelemetryStore;

const row = (gateway: string, boot: string, seq: number, idx = 0, device = "pt-01"): TelemetryRow => ({
  site: "pipe-3",
  gateway,
  device,
  metric: "pressure",
  ts: T0 + seq * 1_000,
  value: seq,
  unit: "MPa",
  quality: "good",
  boot_id: boot,
  seq,
  idx,
  stream_seq: seq + 1,
});

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ingest identity", () => {
  it("tells the newest source time stored, and nothing for an empty table", async () => {
    await store.driver.exec("TRUNCATE TABLE telemetry");
    expect(await store.latestSourceTs()).toBeUndefined();
    await store.insertTelemetry([row("gw-l", "b", 7), row("gw-l", "b", 3)], "t-latest");
    expect(await store.latestSourceTs()).toBe(T0 + 7_000);
    // A clock years ahead does not count when a bound is given.
    await store.insertTelemetry([{ ...row("gw-l", "b", 9), ts: Date.UTC(2099, 0, 1) }], "t-future");
    expect(await store.latestSourceTs()).toBe(Date.UTC(2099, 0, 1));
    expect(await store.latestSourceTs(T0 + 60_000)).toBe(T0 + 7_000);
    expect(await store.latestSourceTs(T0)).toBeUndefined();
  });

  it("finds exactly the readings already stored, by (gateway, boot, seq, idx)", async () => {
    await store.insertTelemetry([row("gw-a", "b1", 0), row("gw-a", "b1", 1), row("gw-a", "b1", 1, 1)], "t1");
    const asked = [row("gw-a", "b1", 1), row("gw-a", "b1", 1, 1), row("gw-a", "b1", 2), row("gw-b", "b1", 1)];
    expect([...(await store.storedIdentities(asked))].sort()).toEqual(["pipe-3|gw-a|b1|1|0", "pipe-3|gw-a|b1|1|1"]);
    expect(await store.storedIdentities([])).toEqual(new Set());
  });

  it("counts the stored rows of each message by stream sequence", async () => {
    const msg = (streamSeq: number, n: number) =>
      Array.from({ length: n }, (_, idx) => ({ ...row("gw-msg", "b", streamSeq, idx), stream_seq: streamSeq }));
    await store.insertTelemetry([...msg(501, 3), ...msg(502, 1)], "t-msg");
    const counts = await store.storedMessageRows([...msg(501, 3), ...msg(502, 2), ...msg(503, 1)]);
    expect([...counts].sort()).toEqual([
      [501, 3],
      [502, 1],
    ]);
  });

  it("reports the sequence ranges missing per (site, gateway, boot), with counts", async () => {
    const seqs = [0, 1, 2, 5, 6, 10]; // 3-4 and 7-9 lost
    await store.insertTelemetry(
      seqs.map((s) => row("gw-gap", "boot-1", s)),
      "t2",
    );
    // A second boot that starts late: 0-1 lost at its head.
    await store.insertTelemetry([row("gw-gap", "boot-2", 2), row("gw-gap", "boot-2", 3)], "t3");
    // Several readings of one envelope count once.
    await store.insertTelemetry([row("gw-whole", "b", 0), row("gw-whole", "b", 0, 1), row("gw-whole", "b", 1)], "t4");
    expect(await store.sequenceGaps({ gateway: "gw-gap" })).toEqual([
      { site: "pipe-3", gateway: "gw-gap", boot_id: "boot-1", first: 3, last: 4, missing: 2 },
      { site: "pipe-3", gateway: "gw-gap", boot_id: "boot-1", first: 7, last: 9, missing: 3 },
      { site: "pipe-3", gateway: "gw-gap", boot_id: "boot-2", first: 0, last: 1, missing: 2 },
    ]);
    expect(await store.sequenceGaps({ gateway: "gw-whole" })).toEqual([]);
    // The same gateway and boot ids at another site are another source.
    await store.insertTelemetry([{ ...row("gw-gap", "boot-1", 4), site: "pipe-9" }], "t5");
    expect(await store.sequenceGaps({ site: "pipe-9" })).toEqual([
      { site: "pipe-9", gateway: "gw-gap", boot_id: "boot-1", first: 0, last: 3, missing: 4 },
    ]);
    expect((await store.sequenceGaps({ site: "pipe-3", gateway: "gw-gap" })).length).toBe(3);
    // Within a time window the first number stored there is the reference.
    expect(await store.sequenceGaps({ gateway: "gw-gap", fromMs: T0 + 5_000, toMs: T0 + 60_000 })).toEqual([
      { site: "pipe-3", gateway: "gw-gap", boot_id: "boot-1", first: 7, last: 9, missing: 3 },
    ]);
  });
});

describe("TabSeparated inserts", () => {
  it("keep every field exactly: milliseconds, awkward units, extreme values", async () => {
    const base = row("gw-tsv", "b", 0);
    const rows: TelemetryRow[] = [
      { ...base, seq: 0, ts: Date.UTC(2026, 2, 1, 0, 0, 0, 7), value: -2e-7, unit: "k\tW\\h\nx" },
      { ...base, seq: 1, ts: Date.UTC(2026, 2, 1, 0, 0, 0, 999), value: 1e21, unit: "", quality: "bad" },
      { ...base, seq: 2, ts: Date.UTC(2026, 2, 1, 0, 0, 1, 40), value: 0.1 + 0.2, unit: "m³/h", quality: "uncertain" },
    ];
    expect(await store.insertTelemetry(rows, "tsv")).toBe(3);
    const back = await store.driver.query<{ ts: number; value: number; unit: string; quality: string }>(
      `SELECT toUnixTimestamp64Milli(ts) AS ts, value, unit, toString(quality) AS quality
       FROM telemetry WHERE gateway = 'gw-tsv' ORDER BY seq`,
    );
    expect(back.map((r) => ({ ...r, ts: Number(r.ts) }))).toEqual(
      rows.map((r) => ({ ts: r.ts, value: r.value, unit: r.unit, quality: r.quality })),
    );
  });
});
