import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SCENARIOS, SHORT } from "../chaos/scenarios.ts";

// The short version of `npm run chaos`: every fault-injection scenario, with shorter loads and
// outages, each ending in an exact reconciliation of what the devices produced against ClickHouse.

const dir = mkdtempSync(join(tmpdir(), "lifeline-chaos-ci-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(SCENARIOS.map((s) => [s.name, s] as const))("chaos: %s", (_name, scenario) => {
  it("stores every reading exactly once, or reports exactly what was lost", async () => {
    const r = await scenario.run({ dir, scale: SHORT });
    expect(r.produced).toBeGreaterThan(1_000);
    expect({ duplicated: r.duplicated, lostSilently: r.lostSilently }).toEqual({ duplicated: 0, lostSilently: 0 });
    expect(r.distinct).toBe(r.produced - r.lostReported);
    expect(r.stored).toBe(r.distinct);
    expect(r.gapEnvelopes).toBe(r.lostEnvelopesReported);
    expect({ minutes: r.rollupMinuteShort, hours: r.rollupHourShort, index: r.rollupIndexShort }).toEqual({
      minutes: 0,
      hours: 0,
      index: 0,
    });
    if (scenario.name === "journal-overflow") expect(r.lostReported).toBeGreaterThan(0);
    else expect(r.lostReported).toBe(0);
  }, 180_000);
});
