import type { TelemetryRow } from "../src/index.ts";

/** 10:58 UTC: the two batches below reach across the hour. */
const T0 = Date.UTC(2026, 10, 30, 10, 58, 0);

/**
 * Batch `batch` of a site: `n` readings over three meters and four minutes; batch 2 overlaps the
 * buckets of batch 1 (so a repair that added whole buckets instead of one batch's share would show)
 * and holds a bad reading, kept raw and left out of every rollup.
 */
export function readings(site: string, batch: 1 | 2, n: number): TelemetryRow[] {
  return Array.from({ length: n }, (_, i) => ({
    site,
    gateway: "gw-r",
    device: `m-${i % 3}`,
    metric: "flow",
    ts: T0 + (batch - 1) * 90_000 + i * 17_000,
    value: batch * 100 + ((i * 37) % 23) + i / 8,
    unit: "m3/h",
    quality: batch === 2 && i === 4 ? ("bad" as const) : ("good" as const),
    boot_id: `boot-${batch}`,
    seq: i,
    idx: 0,
    stream_seq: batch * 1000 + i,
  }));
}
