/** A range of envelope sequence numbers of one (site, gateway, boot) that never reached ClickHouse. */
export interface SequenceGap {
  site: string;
  gateway: string;
  boot_id: string;
  /** First and last missing sequence number, inclusive. */
  first: number;
  last: number;
  missing: number;
}

export interface SequenceGapQuery {
  site?: string | undefined;
  gateway?: string | undefined;
  /** Source-time window (ms). Without one, a boot whose lowest stored sequence is above 0 also counts its head as missing. */
  fromMs?: number | undefined;
  toMs?: number | undefined;
  /** Most gaps returned (in order of site, gateway, boot, first). */
  limit?: number;
}

/**
 * Every envelope of a boot carries the next sequence number, so a hole between two stored
 * numbers is an envelope that was lost at the source (its journal overflowed, it was never
 * journaled). Distinct (site, gateway, boot, seq) first — an envelope's identity, as in its message
 * id — then each number is compared with the one before.
 */
export function sequenceGapsSql(q: SequenceGapQuery): { sql: string; params: Record<string, unknown> } {
  const where: string[] = [];
  const params: Record<string, unknown> = { limit: q.limit ?? 10_000 };
  if (q.site !== undefined) {
    where.push("site = {site:String}");
    params.site = q.site;
  }
  if (q.gateway !== undefined) {
    where.push("gateway = {gateway:String}");
    params.gateway = q.gateway;
  }
  if (q.fromMs !== undefined) {
    where.push("ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')");
    params.from = q.fromMs;
  }
  if (q.toMs !== undefined) {
    where.push("ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')");
    params.to = q.toMs;
  }
  const windowed = q.fromMs !== undefined || q.toMs !== undefined;
  // Inside a time window the first stored number is the reference; over all time a boot starts at 0.
  const head = windowed ? "toInt64(seq)" : "-1";
  const sql = `
    SELECT site, gateway, boot_id, toUInt64(prev + 1) AS first, toUInt64(seq - 1) AS last, toUInt64(seq - prev - 1) AS missing
    FROM (
      SELECT site, gateway, boot_id, toInt64(seq) AS seq,
        lagInFrame(toInt64(seq), 1, ${head}) OVER (
          PARTITION BY site, gateway, boot_id ORDER BY seq ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
        ) AS prev
      FROM (SELECT DISTINCT site, gateway, boot_id, seq FROM telemetry ${where.length ? `WHERE ${where.join(" AND ")}` : ""})
    )
    WHERE seq - prev > 1
    ORDER BY site, gateway, boot_id, first
    LIMIT {limit:UInt32}`;
  return { sql, params };
}
