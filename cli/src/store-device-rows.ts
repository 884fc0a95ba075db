import type { DeviceRows } from "@lifeline/analytics";
import {
  type BucketPoint,
  type CatalogueQuery,
  type CatalogueSeries,
  type ClickHouseDriver,
  listCatalogue,
  querySeries,
  type SeriesQuery,
  type SeriesResult,
} from "@lifeline/store";

/** The two reads training needs from the store; a `TelemetryStore` is one, and so is {@link storeReader}. */
export interface StoreReader {
  series(q: SeriesQuery): Promise<SeriesResult>;
  catalogue(q: CatalogueQuery): Promise<CatalogueSeries[]>;
}

/**
 * Reads through a driver without `TelemetryStore.open`, which migrates and sets the retention:
 * opened without `--keep-*` it removes the TTL the running stack set, which a reader must not do.
 */
export function storeReader(driver: ClickHouseDriver): StoreReader {
  return { series: (q) => querySeries(driver, q), catalogue: (q) => listCatalogue(driver, q) };
}

/** More series of one metric at one site than any site has: the catalogue wants a limit. */
const CATALOGUE_LIMIT = 1_000_000;

export interface SiteDevices {
  /** Devices with a series of every input, in name order. */
  complete: string[];
  /** Devices with some of the inputs only, and the inputs they lack. */
  partial: Map<string, string[]>;
}

/** Which of the site's devices have which of the inputs, from the catalogue (the series index). */
export async function siteDevices(store: StoreReader, site: string, inputs: readonly string[]): Promise<SiteDevices> {
  const perInput = await Promise.all(
    inputs.map(async (metric) => {
      const series = await store.catalogue({ site, metric, limit: CATALOGUE_LIMIT });
      return new Set(series.map((s) => s.device));
    }),
  );
  const all = [...new Set(perInput.flatMap((devices) => [...devices]))].sort();
  const complete: string[] = [];
  const partial = new Map<string, string[]>();
  for (const device of all) {
    const lacking = inputs.filter((_, k) => !perInput[k]?.has(device));
    if (lacking.length === 0) complete.push(device);
    else partial.set(device, lacking);
  }
  return { complete, partial };
}

export interface DeviceRowsQuery {
  site: string;
  devices: readonly string[];
  inputs: readonly string[];
  /** Inclusive, ms since the epoch. */
  from: number;
  /** Exclusive. */
  to: number;
  /** The model's row spacing: the bucket width. */
  stepMs: number;
}

/**
 * Each device's rows over [from, to): one row per step (at the step's start), each input its
 * average over the step — so a device read faster than the step gives the same rows as one read
 * once a step. A step where any input has no value (no reading, or only bad ones) is left out,
 * not filled: a gap stays a gap, and `labelledRuns` starts a new series after one longer than
 * the served model bridges. One device at a time: memory holds one device's buckets.
 */
export async function readDeviceRows(store: StoreReader, q: DeviceRowsQuery): Promise<DeviceRows[]> {
  const out: DeviceRows[] = [];
  for (const device of q.devices) {
    const result = await store.series({
      site: q.site,
      devices: [device],
      metrics: q.inputs,
      from: q.from,
      to: q.to,
      stepMs: q.stepMs,
      aggs: ["avg"],
    });
    out.push(completeRows(device, result, q.inputs));
  }
  return out;
}

/** The steps at which every input has an average, in time order. */
function completeRows(device: string, result: SeriesResult, inputs: readonly string[]): DeviceRows {
  const byTime = new Map<number, Float64Array>();
  inputs.forEach((metric, c) => {
    const series = result.series.find((s) => s.metric === metric);
    for (const p of (series?.points ?? []) as BucketPoint[]) {
      if (p.avg === null || p.avg === undefined) continue;
      let row = byTime.get(p.ts);
      if (row === undefined) {
        row = new Float64Array(inputs.length).fill(Number.NaN);
        byTime.set(p.ts, row);
      }
      row[c] = p.avg;
    }
  });
  const times = [...byTime.entries()]
    .filter(([, values]) => values.every((v) => !Number.isNaN(v)))
    .map(([t]) => t)
    .sort((a, b) => a - b);
  const columns: Record<string, Float64Array> = {};
  inputs.forEach((metric, c) => {
    columns[metric] = Float64Array.from(times, (t) => (byTime.get(t) as Float64Array)[c] as number);
  });
  return { device, timestamps: Float64Array.from(times), columns };
}
