import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertEvent } from "@lifeline/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertStore, ChdbDriver, TelemetryStore } from "../src/index.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-alert-events-"));
const path = join(dir, "clickhouse");
let telemetry: TelemetryStore;

beforeAll(async () => {
  telemetry = await TelemetryStore.open(new ChdbDriver(path));
});

afterAll(async () => {
  await telemetry?.close();
  rmSync(dir, { recursive: true, force: true });
});

const AT = Date.UTC(2026, 10, 30, 3, 0, 0);
const event = (seq: number): AlertEvent => ({
  v: 1,
  id: `a-1-${seq}`,
  alertId: "a-1",
  key: "water-level/flood-9/wl-1",
  seq,
  rule: "water-level",
  site: "flood-9",
  device: "wl-1",
  kind: "threshold",
  metric: "level",
  transition: seq === 1 ? "fired" : "acknowledged",
  state: seq === 1 ? "firing" : "acknowledged",
  level: "II",
  at: AT + seq * 60_000,
  firedAt: AT,
  value: 2.7,
  summary: "level II",
  evidence: { threshold: 2.5 },
  silenced: false,
  flapping: false,
});

describe("AlertStore.insertEvents", () => {
  it("stores transitions again after a kill inside the commit lost their part, and once however often sent", async () => {
    const events = [1, 2].map((seq) => ({ event: event(seq), conditionAt: AT }));
    const parts = () =>
      telemetry.driver.query<{ name: string; path: string }>(
        "SELECT name, path FROM system.parts WHERE database = currentDatabase() AND table = 'alert_events' AND active",
      );
    await telemetry.driver.exec("SYSTEM STOP MERGES alert_events");
    const before = new Set((await parts()).map((p) => p.name));
    await new AlertStore(telemetry.driver).insertEvents(events);
    const added = (await parts()).filter((p) => !before.has(p.name));
    expect(added).toHaveLength(1);
    // The state a kill inside ClickHouse's commit leaves: the insert in the deduplication log (when
    // it is under a token), its part gone.
    await telemetry.close();
    rmSync((added[0] as { path: string }).path, { recursive: true });
    telemetry = await TelemetryStore.open(new ChdbDriver(path));
    const store = new AlertStore(telemetry.driver);
    expect(await store.alertHistory("a-1")).toEqual([]);

    // The alert service's retry writes the same transitions again: stored now, and once after more retries.
    await store.insertEvents(events);
    await store.insertEvents(events);
    const history = await store.alertHistory("a-1");
    expect(history.map((e) => `${e.id}:${e.transition}`)).toEqual(["a-1-1:fired", "a-1-2:acknowledged"]);
  });
});
