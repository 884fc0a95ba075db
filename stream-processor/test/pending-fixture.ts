import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Envelope } from "@lifeline/contracts";
import { ChdbDriver, TelemetryNative, TelemetryStore } from "@lifeline/store";
import { afterAll, beforeAll } from "vitest";
import { dedupToken } from "../src/dedup-token.ts";
import { streamMessages } from "./stream-messages.ts";

/** Half an hour ago, on the minute: every reading of these tests is inside one rollup hour or two. */
export const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000;

/** Envelope `seq` of meter m-(seq mod 4) at heat-3: three readings a minute apart. */
export const envelope = (seq: number): Envelope => ({
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
export const messages = (envelopes: Envelope[], redelivered: boolean) => streamMessages(envelopes, redelivered, 100);

/** The insert the sink makes of the envelopes delivered fresh: its token and its bytes. */
export function insertOf(envelopes: Envelope[]): { token: string; bytes: Buffer } {
  const batch = messages(envelopes, false);
  const rows = new TelemetryNative();
  for (const m of batch) rows.addEnvelope(JSON.parse(Buffer.from(m.data).toString()) as Envelope, m.seq);
  return { token: dedupToken("tlm", batch), bytes: rows.toBuffer() };
}

/**
 * A test file's folder and its store, which a test may close and open again (a restart):
 * `store` is always the one open now.
 */
export class PendingFixture {
  readonly dir = mkdtempSync(join(tmpdir(), "lifeline-pending-"));
  #store: TelemetryStore | undefined;

  get store(): TelemetryStore {
    if (this.#store === undefined) throw new Error("the fixture's store is not open");
    return this.#store;
  }

  /** Opens the store on the fixture's folder: at the start, or again after `store.close()`. */
  async open(): Promise<TelemetryStore> {
    this.#store = await TelemetryStore.open(new ChdbDriver(join(this.dir, "clickhouse")));
    return this.#store;
  }

  async dispose(): Promise<void> {
    await this.#store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * Runs `insert` with the 1-minute view detached: ClickHouse commits the raw part and no rollup's,
   * as when the process dies between the two (the views fed by the minutes get nothing either).
   */
  async rollupsCutOff<T>(insert: () => Promise<T>): Promise<T> {
    await this.store.driver.query("DETACH TABLE telemetry_1m_mv");
    try {
      return await insert();
    } finally {
      await this.store.driver.query("ATTACH TABLE telemetry_1m_mv");
    }
  }

  /** Readings of `site` in raw, and counted by the rollups and the series index. */
  async siteCounts(site = "heat-3"): Promise<Record<string, number>> {
    const one = async (sql: string) => Number((await this.store.driver.query<{ n: string }>(sql, { site }))[0]?.n ?? 0);
    return {
      raw: await one("SELECT count() AS n FROM telemetry WHERE site = {site:String}"),
      minutes: await one("SELECT sum(samples) AS n FROM telemetry_1m WHERE site = {site:String}"),
      hours: await one("SELECT sum(samples) AS n FROM telemetry_1h WHERE site = {site:String}"),
      index: await one("SELECT sum(samples) AS n FROM series_index WHERE site = {site:String}"),
    };
  }
}

/** A fixture for the test file that calls this: its store opened before the file's tests, and all of it removed after. */
export function usePendingFixture(): PendingFixture {
  const fx = new PendingFixture();
  beforeAll(async () => {
    await fx.open();
  });
  afterAll(async () => {
    await fx.dispose();
  });
  return fx;
}
