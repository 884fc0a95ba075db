import type { ClickHouseDriver } from "./clickhouse-driver.ts";

/** What is known of a device besides its readings: set by people (API) or by commissioning. */
export interface DeviceInfo {
  site: string;
  device: string;
  /** e.g. `dust-monitor`, `rain-gauge`, `pressure-transmitter`. */
  kind: string;
  name: string;
  /** Free text: "haul road, north gate". */
  location: string;
  latitude: number | null;
  longitude: number | null;
}

/** A series as the catalogue lists it: where it comes from, its unit, when it was seen. */
export interface CatalogueSeries {
  site: string;
  device: string;
  metric: string;
  gateway: string;
  unit: string;
  kind: string;
  name: string;
  location: string;
  latitude: number | null;
  longitude: number | null;
  firstTs: number;
  lastTs: number;
  lastValue: number;
  samples: number;
}

export interface CatalogueQuery {
  site?: string | undefined;
  device?: string | undefined;
  metric?: string | undefined;
  kind?: string | undefined;
  /** Case-insensitive words, each found in device, metric, unit, kind, name or location. */
  q?: string | undefined;
  limit: number;
}

type Row = Omit<CatalogueSeries, "firstTs" | "lastTs" | "samples"> & {
  first_ts: number | string;
  last_ts: number | string;
  samples: number | string;
};

/**
 * Lists series from the series index (kept by a materialized view, one row per series once merged)
 * with their device's catalogue entry. Readings of bad quality do not count as seen.
 */
export async function listCatalogue(driver: ClickHouseDriver, q: CatalogueQuery): Promise<CatalogueSeries[]> {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: q.limit };
  for (const key of ["site", "device", "metric", "kind"] as const) {
    const value = q[key];
    if (value === undefined) continue;
    where.push(`${key} = {${key}:String}`);
    params[key] = value;
  }
  const words = (q.q ?? "").split(/\s+/).filter((w) => w !== "");
  words.forEach((w, i) => {
    where.push(
      `positionCaseInsensitiveUTF8(concat(device, ' ', metric, ' ', unit, ' ', kind, ' ', name, ' ', location), {w${i}:String}) > 0`,
    );
    params[`w${i}`] = w;
  });
  const rows = await driver.query<Row>(
    `SELECT s.site AS site, s.device AS device, s.metric AS metric, s.gateway AS gateway, s.unit AS unit,
        d.kind AS kind, d.name AS name, d.location AS location, d.latitude AS latitude, d.longitude AS longitude,
        s.first_ts AS first_ts, s.last_ts AS last_ts, s.last_value AS lastValue, s.samples AS samples
      FROM (
        SELECT site, device, metric, anyLast(gateway) AS gateway, anyLast(unit) AS unit,
          toUnixTimestamp64Milli(min(first_ts)) AS first_ts, toUnixTimestamp64Milli(max(last_ts)) AS last_ts,
          argMaxMerge(last_value) AS last_value, sum(samples) AS samples
        FROM series_index GROUP BY site, device, metric
      ) AS s
      LEFT JOIN (SELECT * FROM devices FINAL) AS d ON d.site = s.site AND d.device = s.device
      ${where.length === 0 ? "" : `WHERE ${where.join(" AND ")}`}
      ORDER BY site, device, metric LIMIT {limit:UInt32}`,
    params,
  );
  return rows.map((r) => ({
    site: r.site,
    device: r.device,
    metric: r.metric,
    gateway: r.gateway,
    unit: r.unit,
    kind: r.kind,
    name: r.name,
    location: r.location,
    latitude: r.latitude,
    longitude: r.longitude,
    firstTs: Number(r.first_ts),
    lastTs: Number(r.last_ts),
    lastValue: r.lastValue,
    samples: Number(r.samples),
  }));
}

/** Sets a device's catalogue entry (the newest write wins). */
export async function putDevice(driver: ClickHouseDriver, d: DeviceInfo): Promise<void> {
  await driver.exec(
    `INSERT INTO devices (site, device, kind, name, location, latitude, longitude)
     VALUES ({site:String}, {device:String}, {kind:String}, {name:String}, {location:String},
       {latitude:Nullable(Float64)}, {longitude:Nullable(Float64)})`,
    { ...d },
  );
}
