import { MAX_SOURCE_TS } from "@lifeline/contracts";
import { type CatalogueQuery, type CatalogueSeries, type DeviceInfo, listCatalogue, putDevice } from "./catalogue.ts";
import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import type { DdlContext } from "./ddl-context.ts";
import { type InsertRepair, type InsertRows, repairInsert } from "./insert-repair.ts";
import { migrate } from "./migrations.ts";
import { applyRetention, type Retention } from "./retention.ts";
import { type SequenceGap, type SequenceGapQuery, sequenceGapsSql } from "./sequence-gaps.ts";
import { type SeriesGridResult, seriesGrid } from "./series-grid.ts";
import {
  querySeries,
  querySeriesColumns,
  type SeriesColumnsResult,
  type SeriesQuery,
  type SeriesResult,
} from "./series-query.ts";
import { StoreError } from "./store-error.ts";
import { type ExportFormat, type ExportQuery, exportSql } from "./telemetry-export.ts";
import { TelemetryNative } from "./telemetry-native.ts";
import {
  escapeTsv,
  type QuarantineRow,
  TELEMETRY_COLUMNS,
  type TelemetryRow,
  toJsonEachRow,
} from "./telemetry-rows.ts";
import { queryTop, type TopEntry, type TopQuery } from "./top-query.ts";

export type { Retention };

export interface StoreOptions {
  /** How long raw readings and rollups are kept (default: for ever). */
  retention?: Retention | undefined;
  /** A cluster to create the schema on (default: a single server). */
  ddl?: DdlContext | undefined;
}

/**
 * Lifeline's telemetry in ClickHouse. Writes carry an insert deduplication token so that a
 * batch written again after a crash (same token) is dropped by ClickHouse itself.
 */
export class TelemetryStore {
  readonly driver: ClickHouseDriver;
  readonly #ddl: DdlContext;

  private constructor(driver: ClickHouseDriver, ddl: DdlContext) {
    this.driver = driver;
    this.#ddl = ddl;
  }

  /** Opens the store, applies pending migrations and the configured retention. */
  static async open(driver: ClickHouseDriver, options: StoreOptions = {}): Promise<TelemetryStore> {
    await migrate(driver, undefined, options.ddl);
    await applyRetention(driver, options.retention ?? {}, options.ddl);
    return new TelemetryStore(driver, options.ddl ?? {});
  }

  /** Inserts readings under a deduplication token; returns how many were handed over. */
  insertTelemetry(rows: readonly TelemetryRow[], dedupToken: string): Promise<number> {
    return this.insertTelemetryBatch(TelemetryNative.fromRows(rows), dedupToken);
  }

  /**
   * Inserts readings gathered as a Native block (see {@link TelemetryNative}), the stream
   * processor's path; `onDisk` as for {@link insertTelemetryNative}. Returns the readings handed
   * over — committed, or dropped as a batch already written. (ClickHouse's own count would include
   * the rows the materialized views wrote into the rollups.) The block's columns are the builder's,
   * not read back from it.
   */
  async insertTelemetryBatch(batch: TelemetryNative, dedupToken: string, onDisk?: string): Promise<number> {
    if (batch.rows === 0) return 0;
    await this.insertTelemetryNative(batch.toBuffer(), dedupToken, onDisk, TelemetryNative.columns);
    return batch.rows;
  }

  /**
   * Inserts a batch's bytes (a `Native` block, as {@link TelemetryNative} makes it) under a
   * deduplication token. The same block sent again under the same token is dropped by the raw
   * table, and each materialized view checks its own part
   * (`deduplicate_blocks_in_dependent_materialized_views`): an insert cut off between the raw part
   * and the rollups is completed, not doubled, by sending it again. `onDisk`: a file holding
   * exactly these bytes, which the driver may read instead of writing them again. `columns`: the
   * block's, when known (see {@link insertTelemetryBatch}); else read from the block.
   */
  async insertTelemetryNative(
    bytes: Buffer,
    dedupToken: string,
    onDisk?: string,
    columns?: readonly string[],
  ): Promise<void> {
    if (bytes.length === 0) return;
    await this.driver.insertNative("telemetry", bytes, this.#dedup(dedupToken), onDisk, columns);
  }

  /**
   * Inserts `RowBinaryWithNamesAndTypes` bytes (as {@link TelemetryRowBinary} makes them: what
   * versions before 2026-12-02 wrote their inserts down as) under a deduplication token, as
   * {@link insertTelemetryNative}.
   */
  async insertTelemetryBinary(bytes: Buffer, dedupToken: string, onDisk?: string): Promise<void> {
    if (bytes.length === 0) return;
    await this.driver.insertRowBinary("telemetry", bytes, this.#dedup(dedupToken), onDisk);
  }

  /**
   * Inserts TabSeparated rows in {@link TELEMETRY_COLUMNS} order (or `columns`), as versions before
   * the binary batches wrote inserts down, under a deduplication token (as {@link insertTelemetryBinary}).
   */
  async insertTelemetryText(
    tsv: Buffer,
    dedupToken: string,
    columns: readonly string[] = TELEMETRY_COLUMNS,
  ): Promise<void> {
    if (tsv.length === 0) return;
    await this.driver.insertTabSeparated("telemetry", columns, tsv, this.#dedup(dedupToken));
  }

  /**
   * Completes an insert written down before it was sent and not seen returned (a crash, a failure):
   * on a single server, what each table lacks of it is found and added (see {@link repairInsert};
   * returns what was added); on a cluster it is sent again under its token (undefined) — replicated
   * tables record a block's id and its part together, so the copy is dropped exactly where the block
   * is stored.
   */
  async completeInsert(rows: InsertRows, token: string): Promise<InsertRepair | undefined> {
    if (this.#ddl.cluster === undefined) {
      await this.#whileRunning(token);
      return repairInsert(this.driver, rows);
    }
    if (rows.format === "Native") await this.insertTelemetryNative(rows.bytes, token);
    else if (rows.format === "RowBinary") await this.insertTelemetryBinary(rows.bytes, token);
    else await this.insertTelemetryText(rows.bytes, token, rows.columns);
    return undefined;
  }

  /**
   * Waits while the server still runs an insert under `token`: a remote server goes on with an
   * insert whose client gave up (a request timeout), and completing it meanwhile would add rows it
   * is about to commit. Polls `system.processes` every 200 ms, for at most `timeoutMs`.
   */
  async #whileRunning(token: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [running] = await this.driver.query<{ n: number | string }>(
        "SELECT count() AS n FROM system.processes WHERE Settings['insert_deduplication_token'] = {token:String}",
        { token },
      );
      if (Number(running?.n ?? 0) === 0) return;
      if (Date.now() > deadline) {
        throw new StoreError(
          "STORE_INSERT_FAILED",
          `an insert under token ${token} still runs on the server after ${timeoutMs} ms: not completed now`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  #dedup(token: string): Record<string, string | number> {
    return {
      insert_deduplicate: 1,
      insert_deduplication_token: token,
      deduplicate_blocks_in_dependent_materialized_views: 1,
    };
  }

  /**
   * Stores quarantine rows under a deduplication token; rows of a batch that may have been stored
   * before (`mayBeStored`: redelivered) are looked up instead, see {@link insertQuarantineMissing}.
   */
  insertQuarantine(rows: readonly QuarantineRow[], dedupToken: string, mayBeStored = false): Promise<number> {
    return mayBeStored ? this.insertQuarantineMissing(rows) : this.#insert("quarantine", rows, dedupToken);
  }

  /**
   * Quarantine rows of messages that may have been stored before (redelivered after a crash or a
   * failed batch): only the rows not stored yet are inserted — by (subject, stream sequence, code,
   * payload), as many times as they are missing — and without a deduplication token. A token is
   * not enough here: a process killed inside the commit can leave the token in the table's
   * deduplication log and no part (see {@link repairInsert}), and the same token would then drop
   * the rows for good. Looked up first, a row is written at most once whatever came before; the
   * stream processor is the only writer of its rows. Returns the rows inserted.
   */
  async insertQuarantineMissing(rows: readonly QuarantineRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const key = (r: Pick<QuarantineRow, "subject" | "stream_seq" | "code" | "payload">) =>
      `${r.subject}\n${r.stream_seq}\n${r.code}\n${r.payload}`;
    const stored = await this.driver.query<QuarantineRow & { n: number }>(
      `SELECT subject, stream_seq, code, payload, toUInt32(count()) AS n FROM quarantine
       WHERE stream_seq IN {seqs:Array(UInt64)} AND subject IN {subjects:Array(String)}
       GROUP BY subject, stream_seq, code, payload`,
      { seqs: [...new Set(rows.map((r) => r.stream_seq))], subjects: [...new Set(rows.map((r) => r.subject))] },
    );
    const left = new Map(stored.map((r) => [key({ ...r, stream_seq: Number(r.stream_seq) }), Number(r.n)]));
    const missing = rows.filter((r) => {
      const n = left.get(key(r)) ?? 0;
      if (n > 0) left.set(key(r), n - 1);
      return n === 0;
    });
    if (missing.length > 0) {
      await this.driver.insertJsonEachRow("quarantine", toJsonEachRow(missing), { insert_deduplicate: 0 });
    }
    return missing.length;
  }

  async #insert(table: string, rows: readonly object[], dedupToken: string): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.driver.insertJsonEachRow(table, toJsonEachRow(rows), {
      insert_deduplicate: 1,
      insert_deduplication_token: dedupToken,
    });
    return result.rowsWritten;
  }

  /**
   * Which of the given readings are already stored, by identity `site|gateway|boot_id|seq|idx`. Used
   * for batches that may have been written before (a redelivery after a crash between insert and
   * ack, a replay older than JetStream's duplicate window); the device and time range narrow the
   * search to the primary key.
   */
  async storedIdentities(rows: readonly TelemetryRow[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (rows.length === 0) return found;
    // The identities go as one TabSeparated string read by `format()`, not as an Array(String)
    // parameter, whose cost grows with the square of its length in chdb: 0.3 s for 10,000
    // identities, 122 s for 30,000 — a processor stalled for minutes on the resent backlog after a
    // 2-minute outage. Read as text: 0.6 s for 30,000, 3.2 s for 250,000 (with the lookup's scope).
    const stored = await this.driver.query<{ id: string }>(
      `SELECT concat(site, '|', gateway, '|', boot_id, '|', toString(seq), '|', toString(idx)) AS id FROM telemetry
       WHERE ${PRIMARY_KEY_SCOPE} AND id IN (SELECT id FROM format(TSV, 'id String', {ids:String}))`,
      { ...primaryKeyScope(rows), ids: [...new Set(rows.map(identityOf))].map(escapeTsv).join("\n") },
    );
    for (const r of stored) found.add(r.id);
    return found;
  }

  /**
   * How many rows of each given JetStream message (by stream sequence) are stored: the cheap
   * first check of a redelivered batch (a message is whole, absent, or — a crash mid-insert
   * across partitions — partly there, and only then looked up reading by reading).
   */
  async storedMessageRows(rows: readonly TelemetryRow[]): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    if (rows.length === 0) return counts;
    const stored = await this.driver.query<{ stream_seq: number; n: number }>(
      `SELECT stream_seq, toUInt32(count()) AS n FROM telemetry
       WHERE ${PRIMARY_KEY_SCOPE} AND stream_seq IN {seqs:Array(UInt64)}
       GROUP BY stream_seq`,
      { ...primaryKeyScope(rows), seqs: [...new Set(rows.map((r) => r.stream_seq))] },
    );
    for (const r of stored) counts.set(Number(r.stream_seq), Number(r.n));
    return counts;
  }

  /**
   * The newest source time stored, ms (undefined when there is none), at or before `notAfterMs`
   * when given. A reading newer than this cannot have been stored before: the stream processor
   * looks up only what is older. The bound keeps a device whose clock runs years ahead from
   * making every reading look old.
   */
  async latestSourceTs(notAfterMs: number = MAX_SOURCE_TS): Promise<number | undefined> {
    const [row] = await this.driver.query<{ latest: number | string; n: number | string }>(
      `SELECT toUnixTimestamp64Milli(max(ts)) AS latest, count() AS n FROM telemetry
       WHERE ts <= fromUnixTimestamp64Milli({notAfter:Int64}, 'UTC')`,
      { notAfter: notAfterMs },
    );
    return row === undefined || Number(row.n) === 0 ? undefined : Number(row.latest);
  }

  /** Sequence ranges lost at the source, per (site, gateway, boot). */
  sequenceGaps(q: SequenceGapQuery = {}): Promise<SequenceGap[]> {
    const { sql, params } = sequenceGapsSql(q);
    return this.driver
      .query<SequenceGap>(sql, params)
      .then((rows) =>
        rows.map((r) => ({ ...r, first: Number(r.first), last: Number(r.last), missing: Number(r.missing) })),
      );
  }

  /** One or many series, raw or in buckets (the rollup is chosen from the step); see {@link querySeries}. */
  series(q: SeriesQuery): Promise<SeriesResult> {
    return querySeries(this.driver, q);
  }

  /** The same answer with one array per field (see {@link querySeriesColumns}). */
  seriesColumns(q: SeriesQuery): Promise<SeriesColumnsResult> {
    return querySeriesColumns(this.driver, q);
  }

  /**
   * The buckets of many series on one shared time axis (see {@link seriesGrid}); needs a step.
   * Cells count against `limit` (`STORE_GRID_TOO_LARGE` when they would exceed it).
   */
  async seriesGrid(q: SeriesQuery): Promise<SeriesGridResult> {
    if (q.stepMs === undefined) {
      throw new StoreError("STORE_QUERY_FAILED", "a grid needs buckets (a step): raw readings share no time axis");
    }
    return seriesGrid(await querySeriesColumns(this.driver, q), q.limit);
  }

  /** The N highest or lowest aggregates across series. */
  top(q: TopQuery): Promise<TopEntry[]> {
    return queryTop(this.driver, q);
  }

  /** Series with their devices' catalogue entries, unit, first and last time seen, latest value. */
  catalogue(q: CatalogueQuery): Promise<CatalogueSeries[]> {
    return listCatalogue(this.driver, q);
  }

  putDevice(d: DeviceInfo): Promise<void> {
    return putDevice(this.driver, d);
  }

  /**
   * An export streamed from ClickHouse: CSV with a header line, or one Parquet file. Memory stays
   * flat whatever the size: the next chunk is read when the consumer took the last one.
   */
  async *export(q: ExportQuery, format: ExportFormat, signal?: AbortSignal): AsyncIterable<Uint8Array> {
    const { sql, params, columns } = exportSql(q);
    if (format === "csv") yield Buffer.from(`${columns.join(",")}\n`);
    yield* this.driver.queryStream(sql, params, format === "csv" ? "CSV" : "Parquet", signal);
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/**
 * A stored reading's identity: the envelope's (site, gateway, boot, seq) — as in the envelope id
 * JetStream deduplicates by — and the reading's place in it.
 */
export function identityOf(r: Pick<TelemetryRow, "site" | "gateway" | "boot_id" | "seq" | "idx">): string {
  return `${r.site}|${r.gateway}|${r.boot_id}|${r.seq}|${r.idx}`;
}

/** The part of a lookup that the primary key (site, device, metric, ts) can narrow: devices and time. */
const PRIMARY_KEY_SCOPE = `device IN {devices:Array(String)}
         AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

function primaryKeyScope(rows: readonly TelemetryRow[]): { devices: string[]; from: number; to: number } {
  const devices = new Set<string>();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const r of rows) {
    devices.add(r.device);
    if (r.ts < from) from = r.ts;
    if (r.ts > to) to = r.ts;
  }
  return { devices: [...devices], from, to };
}
