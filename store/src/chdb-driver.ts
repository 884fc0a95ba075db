import { randomUUID } from "node:crypto";
import { createReadStream, mkdirSync, rmSync } from "node:fs";
import { link, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ChdbResult, Session } from "chdb";
import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { checkIdentifiers, lineCount, settingsClause, stringLiteral } from "./insert-sql.ts";
import { StoreError } from "./store-error.ts";
import { nativeColumns } from "./telemetry-native.ts";
import { rowBinaryColumns } from "./telemetry-row-binary.ts";

const emptiedInsertDirs = new Set<string>();

/**
 * Embedded ClickHouse. chdb allows one data directory per process and no second process on it,
 * so the process that writes is also the one that answers queries. All calls are the async
 * variants, which run on libuv's thread pool and leave the event loop free.
 */
export class ChdbDriver implements ClickHouseDriver {
  readonly path: string;
  #session: Session | undefined;
  /** Where inserted rows wait for ClickHouse to read them; emptied at start (one process per data directory). */
  readonly #insertDir: string;
  /** Names this driver's files apart from another driver's on the same folder. */
  readonly #insertPrefix = randomUUID();
  #inserts = 0;

  constructor(path: string) {
    mkdirSync(path, { recursive: true });
    this.path = path;
    this.#insertDir = join(path, "insert-files");
    // What a previous process left; a second driver on this folder in the same process (a reader)
    // must not delete the files of the first one's inserts in flight.
    if (!emptiedInsertDirs.has(this.#insertDir)) rmSync(this.#insertDir, { recursive: true, force: true });
    emptiedInsertDirs.add(this.#insertDir);
    mkdirSync(this.#insertDir, { recursive: true });
    this.#session = new Session(path);
  }

  async exec(sql: string, params?: Record<string, unknown>): Promise<void> {
    await this.#run(sql, params, "TabSeparated");
  }

  async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    const text = await this.#run(sql, params, "JSONEachRow");
    const rows: T[] = [];
    for (const line of text.split("\n")) if (line !== "") rows.push(JSON.parse(line) as T);
    return rows;
  }

  queryText(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<string> {
    return this.#run(sql, params, format);
  }

  async insertJsonEachRow(
    table: string,
    rows: Buffer,
    settings: Record<string, string | number> = {},
  ): Promise<{ rowsWritten: number }> {
    const session = this.#open();
    try {
      const summary = await session.insert({ table, values: rows, format: "JSONEachRow", settings });
      return { rowsWritten: summary.rowsWritten };
    } catch (cause) {
      throw new StoreError("STORE_INSERT_FAILED", `insert into ${table} failed: ${message(cause)}`, cause);
    }
  }

  /** TabSeparated rows: see `#insertFile`. `rowsWritten` counts the rows of the batch. */
  async insertTabSeparated(
    table: string,
    columns: readonly string[],
    rows: Buffer,
    settings: Record<string, string | number> = {},
  ): Promise<{ rowsWritten: number }> {
    // The file's columns are the listed columns of the table, in order: nothing is inferred from the data.
    const withStructure = { ...settings, use_structure_from_insertion_table_in_table_functions: 1 };
    await this.#insertFile(table, () => columns, rows, "TabSeparated", withStructure);
    return { rowsWritten: lineCount(rows) };
  }

  insertRowBinary(
    table: string,
    rows: Buffer,
    settings: Record<string, string | number> = {},
    onDisk?: string,
  ): Promise<void> {
    return this.#insertFile(table, () => rowBinaryColumns(rows), rows, "RowBinaryWithNamesAndTypes", settings, onDisk);
  }

  insertNative(
    table: string,
    rows: Buffer,
    settings: Record<string, string | number> = {},
    onDisk?: string,
    columns?: readonly string[],
  ): Promise<void> {
    return this.#insertFile(table, () => columns ?? nativeColumns(rows), rows, "Native", settings, onDisk);
  }

  /**
   * The rows are written to a file that ClickHouse reads (`INSERT … SELECT * FROM file()`), not
   * sent inline: chdb parses inline data on one thread, and reads a file in parallel and with less
   * work per row (100,000 TabSeparated telemetry rows with rollups: ~5 µs of CPU per row inline,
   * ~3 µs from a file; store README). Inline binary data is not safe either: chdb 3.4 stopped
   * reading a RowBinary payload at a byte pair 0x0A 0x0A and reported no error. An insert is atomic
   * either way: a row that does not parse fails it whole.
   *
   * Rows already in a file (`onDisk`) are linked under this driver's name, not written again (a
   * batch of agents' readings is ~25 MB; the name stays the driver's own, whatever characters the
   * other holds — `file()` reads `*`, `?` and braces in a path as a pattern). A file on another
   * file system cannot be linked: the bytes are written then.
   */
  async #insertFile(
    table: string,
    /** Called inside the error handling: a RowBinary header that cannot be read fails the insert. */
    columns: () => readonly string[],
    rows: Buffer,
    format: string,
    settings: Record<string, string | number>,
    onDisk?: string,
  ): Promise<void> {
    const session = this.#open();
    const file = join(this.#insertDir, `${this.#insertPrefix}-${++this.#inserts}`);
    try {
      const names = checkIdentifiers(table, columns());
      const clause = settingsClause(settings);
      const linked =
        onDisk !== undefined &&
        (await link(onDisk, file).then(
          () => true,
          () => false,
        ));
      if (!linked) await writeFile(file, rows);
      // Not parameterised: chdb runs parameterised queries one at a time (see series-query.ts).
      await session.queryAsync(
        `INSERT INTO ${table} (${names.join(", ")}) ${clause} SELECT * FROM file(${stringLiteral(file)}, ${format})`,
        { format: "TabSeparated" },
      );
    } catch (cause) {
      throw new StoreError("STORE_INSERT_FAILED", `insert into ${table} failed: ${message(cause)}`, cause);
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * A stream runs on a session of its own: chdb allows one active stream per session, and a
   * second one started on it breaks the first. Other queries and inserts go on meanwhile.
   * Parquet cannot be streamed chunk by chunk (each chunk would be a whole file with its own
   * footer), so ClickHouse writes one file and the file is streamed, then deleted.
   */
  async *queryStream(
    sql: string,
    params: Record<string, unknown> | undefined,
    format: string,
    signal?: AbortSignal,
  ): AsyncIterable<Uint8Array> {
    this.#open();
    if (format === "Parquet") {
      yield* this.#parquetFile(sql, params, signal);
      return;
    }
    const session = new Session(this.path);
    try {
      const options = signal === undefined ? { format } : { format, signal };
      const stream =
        params === undefined ? session.queryStream(sql, options) : session.queryStreamBind(sql, params, options);
      for await (const chunk of stream) yield chunk.raw();
    } catch (cause) {
      throw new StoreError("STORE_QUERY_FAILED", `query failed: ${message(cause)}`, cause);
    } finally {
      session.close();
    }
  }

  async *#parquetFile(
    sql: string,
    params: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
  ): AsyncIterable<Uint8Array> {
    // Our own name, never input: INTO OUTFILE takes only a literal.
    const file = join(tmpdir(), `lifeline-export-${randomUUID()}.parquet`);
    try {
      await this.exec(
        `SELECT * FROM (${sql}) INTO OUTFILE ${stringLiteral(file)} TRUNCATE FORMAT Parquet
         SETTINGS max_threads = 1, output_format_parquet_row_group_size = 100000`,
        params,
      );
      signal?.throwIfAborted();
      for await (const chunk of createReadStream(file, { signal })) yield chunk as Buffer;
    } finally {
      rmSync(file, { force: true });
    }
  }

  async close(): Promise<void> {
    this.#session?.close();
    this.#session = undefined;
  }

  async queryBytes(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<Uint8Array> {
    return (await this.#result(sql, params, format)).bytes();
  }

  async #run(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<string> {
    return (await this.#result(sql, params, format)).text();
  }

  async #result(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<ChdbResult> {
    const session = this.#open();
    try {
      return params === undefined
        ? await session.queryAsync(sql, { format })
        : await session.queryBindAsync(sql, params, { format });
    } catch (cause) {
      throw new StoreError("STORE_QUERY_FAILED", `query failed: ${message(cause)}`, cause);
    }
  }

  #open(): Session {
    if (this.#session === undefined) {
      throw new StoreError("STORE_CLOSED", `the ClickHouse store at ${this.path} is closed`);
    }
    return this.#session;
  }
}

function message(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
