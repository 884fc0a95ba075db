import { Readable } from "node:stream";
import {
  type ClickHouseClient,
  ClickHouseError,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
  type DataFormat,
  drainStream,
  type InsertResult,
} from "@clickhouse/client";
import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { checkIdentifiers, lineCount } from "./insert-sql.ts";
import { StoreError } from "./store-error.ts";
import { nativeColumns } from "./telemetry-native.ts";
import { rowBinaryColumns } from "./telemetry-row-binary.ts";

export interface ClickHouseHttpOptions {
  /** `http[s]://[user[:password]@]host:port[/database]`; the options below win over the URL's parts. */
  url: string;
  database?: string;
  username?: string;
  password?: string;
  /** Longest silence on a request's socket before it fails (the client's `request_timeout`, 30 s by default). */
  requestTimeoutMs?: number;
  /** Sockets per host (the client's `max_open_connections`, 10 by default). */
  maxOpenConnections?: number;
}

/**
 * On every request, so that a server answers as embedded chdb does: chdb (and servers from 25.8,
 * ClickHouse#74079) print 64-bit integers as JSON numbers, older servers quote them.
 */
const AS_CHDB: ClickHouseSettings = { output_format_json_quote_64bit_integers: 0 };

/**
 * Buffer the whole answer on the server before the status line, so an error in the middle of a
 * query is a 500 with its `Code: NNN` and never a 200 with the error text inside the body
 * (ClickHouse HTTP interface, "Response buffering"). `query` holds the rows in memory anyway.
 */
const WHOLE_ANSWER: ClickHouseSettings = { wait_end_of_query: 1 };

/**
 * A stream cannot be buffered, so a late error must break it: with this off the server cuts the
 * connection for every format (JSONEachRow otherwise gets an `{"exception": …}` row), and from
 * 25.11 it writes a tagged `__exception__` block first (ClickHouse#88818, clickhouse-js#384).
 */
const STREAMING: ClickHouseSettings = {
  http_write_exception_in_output_format: 0,
  cancel_http_readonly_queries_on_client_close: 1,
};

const EXCEPTION_TAG_HEADER = "x-clickhouse-exception-tag";
const TAIL_BYTES = 16 * 1024;

/**
 * A ClickHouse server over HTTP (`@clickhouse/client`), for deployments that outgrow one process.
 * Same SQL and same answers as `ChdbDriver`: parameters are bound by the server (`{name:Type}`),
 * the format is a setting and never added to the SQL, errors carry ClickHouse's `Code: NNN` text.
 */
export class ClickHouseHttpDriver implements ClickHouseDriver {
  /** The server and database, without credentials: safe for logs. */
  readonly location: string;
  #client: ClickHouseClient | undefined;

  constructor(options: ClickHouseHttpOptions) {
    const target = parseTarget(options);
    this.location = `${target.origin}/${target.database}`;
    this.#client = clientFor(target, options);
  }

  async exec(sql: string, params?: Record<string, unknown>): Promise<void> {
    const client = this.#open();
    try {
      await client.command({ query: sql, query_params: params, clickhouse_settings: WHOLE_ANSWER });
    } catch (cause) {
      throw failure("STORE_QUERY_FAILED", "query failed", cause);
    }
  }

  async query<T>(sql: string, params?: Record<string, unknown>): Promise<T[]> {
    const client = this.#open();
    try {
      const result = await client.query({
        query: sql,
        format: "JSONEachRow",
        query_params: params,
        clickhouse_settings: WHOLE_ANSWER,
      });
      return await result.json<T>();
    } catch (cause) {
      throw failure("STORE_QUERY_FAILED", "query failed", cause);
    }
  }

  async queryText(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<string> {
    const client = this.#open();
    try {
      const result = await client.query({
        query: sql,
        format: format as "TabSeparated",
        query_params: params,
        clickhouse_settings: WHOLE_ANSWER,
      });
      return await result.text();
    } catch (cause) {
      throw failure("STORE_QUERY_FAILED", "query failed", cause);
    }
  }

  async queryBytes(sql: string, params: Record<string, unknown> | undefined, format: string): Promise<Uint8Array> {
    const client = this.#open();
    try {
      // exec, not query: the client's query() knows only its own list of formats.
      const result = await client.exec({
        query: sql,
        query_params: params,
        clickhouse_settings: { ...WHOLE_ANSWER, default_format: format as DataFormat },
      });
      const chunks: Buffer[] = [];
      for await (const chunk of result.stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    } catch (cause) {
      throw failure("STORE_QUERY_FAILED", "query failed", cause);
    }
  }

  /** `insert()` wants objects for JSON formats, so the bytes go through `exec` with the INSERT written out. */
  async insertJsonEachRow(
    table: string,
    rows: Buffer,
    settings: Record<string, string | number> = {},
  ): Promise<{ rowsWritten: number }> {
    const client = this.#open();
    try {
      checkIdentifiers(table, []);
      const result = await client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([rows], { objectMode: false }),
        clickhouse_settings: settings,
      });
      await drainStream(result.stream);
      return { rowsWritten: rowsWritten(result.summary, rows) };
    } catch (cause) {
      throw failure("STORE_INSERT_FAILED", `insert into ${table} failed`, cause);
    }
  }

  /** `onDisk` is not used: the rows are sent in the request. */
  insertRowBinary(
    table: string,
    rows: Buffer,
    settings: Record<string, string | number> = {},
    _onDisk?: string,
  ): Promise<void> {
    return this.#insertBytes(table, () => rowBinaryColumns(rows), rows, "RowBinaryWithNamesAndTypes", settings);
  }

  /** `onDisk` is not used: the rows are sent in the request. */
  insertNative(
    table: string,
    rows: Buffer,
    settings: Record<string, string | number> = {},
    _onDisk?: string,
    columns?: readonly string[],
  ): Promise<void> {
    return this.#insertBytes(table, () => columns ?? nativeColumns(rows), rows, "Native", settings);
  }

  async #insertBytes(
    table: string,
    /** Called inside the error handling: a header that cannot be read fails the insert. */
    columns: () => readonly string[],
    rows: Buffer,
    format: string,
    settings: Record<string, string | number>,
  ): Promise<void> {
    const client = this.#open();
    try {
      const names = checkIdentifiers(table, columns());
      const result = await client.exec({
        query: `INSERT INTO ${table} (${names.join(", ")}) FORMAT ${format}`,
        values: Readable.from([rows], { objectMode: false }),
        clickhouse_settings: settings,
      });
      await drainStream(result.stream);
    } catch (cause) {
      throw failure("STORE_INSERT_FAILED", `insert into ${table} failed`, cause);
    }
  }

  async insertTabSeparated(
    table: string,
    columns: readonly string[],
    rows: Buffer,
    settings: Record<string, string | number> = {},
  ): Promise<{ rowsWritten: number }> {
    const client = this.#open();
    try {
      const [first, ...rest] = checkIdentifiers(table, columns);
      if (first === undefined) throw new Error("columns must be a non-empty list of column names");
      // A raw format takes a byte stream (object mode off); a bare Buffer is refused by the client.
      const result = await client.insert({
        table,
        columns: [first, ...rest],
        format: "TabSeparated",
        values: Readable.from([rows], { objectMode: false }),
        clickhouse_settings: settings,
      });
      return { rowsWritten: rowsWritten(result.summary, rows) };
    } catch (cause) {
      throw failure("STORE_INSERT_FAILED", `insert into ${table} failed`, cause);
    }
  }

  /**
   * `exec` hands back the response body untouched (`ResultSet.stream()` would split it into
   * lines, which breaks Parquet). The server writes Parquet as one file, footer last.
   * `abort_signal` only covers the wait for the response head; from then on the body is
   * destroyed here, which closes the connection and makes the server cancel the query.
   */
  async *queryStream(
    sql: string,
    params: Record<string, unknown> | undefined,
    format: string,
    signal?: AbortSignal,
  ): AsyncIterable<Uint8Array> {
    const client = this.#open();
    let body: Readable;
    let tag: string | undefined;
    try {
      signal?.throwIfAborted();
      const result = await client.exec({
        query: sql,
        query_params: params,
        abort_signal: signal,
        // Any name: the server checks it (73 UNKNOWN_FORMAT), as chdb does.
        clickhouse_settings: { ...STREAMING, default_format: format as DataFormat },
      });
      body = result.stream;
      tag = exceptionTag(result.response_headers[EXCEPTION_TAG_HEADER]);
    } catch (cause) {
      if (signal?.aborted) throw failure("STORE_QUERY_FAILED", "query aborted", signal.reason);
      throw failure("STORE_QUERY_FAILED", "query failed", cause);
    }
    const stop = () => body.destroy(signal?.reason);
    signal?.addEventListener("abort", stop, { once: true });
    const tail = new Tail();
    try {
      try {
        for await (const chunk of body) {
          tail.push(chunk as Buffer);
          yield chunk as Buffer;
        }
      } catch (cause) {
        if (signal?.aborted) throw failure("STORE_QUERY_FAILED", "query aborted", signal.reason);
        // A broken body stops the iterator before the bytes it still holds, and the error text
        // is in those last bytes; `read()` still hands them out.
        for (let rest = body.read(); rest !== null; rest = body.read()) tail.push(rest as Buffer);
        const late = tail.exception(tag);
        throw failure("STORE_QUERY_FAILED", "query failed", late === undefined ? cause : new Error(late, { cause }));
      }
      // A server that ends the body normally after the tagged block still failed the query.
      const late = tail.exception(tag, true);
      if (late !== undefined) throw failure("STORE_QUERY_FAILED", "query failed", new Error(late));
    } finally {
      signal?.removeEventListener("abort", stop);
      if (!body.readableEnded) body.destroy();
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.close();
  }

  #open(): ClickHouseClient {
    if (this.#client === undefined) {
      throw new StoreError("STORE_CLOSED", `the ClickHouse store at ${this.location} is closed`);
    }
    return this.#client;
  }
}

function clientFor(target: Target, options: ClickHouseHttpOptions): ClickHouseClient {
  try {
    return createClient({
      url: target.origin + target.search,
      username: target.username,
      password: target.password,
      database: target.database,
      request_timeout: options.requestTimeoutMs,
      max_open_connections: options.maxOpenConnections,
      clickhouse_settings: AS_CHDB,
      // Large `Array(String)` parameters (identity look-ups) go in the body instead of the URL.
      use_multipart_params_auto: true,
      // Every failure reaches the caller as a StoreError; the client would also print it.
      log: { level: ClickHouseLogLevel.OFF },
    });
  } catch (cause) {
    // e.g. an unknown `?name=` in the URL.
    throw new StoreError("STORE_URL_INVALID", `the ClickHouse URL is not usable: ${String(cause)}`, cause);
  }
}

interface Target {
  origin: string;
  search: string;
  username: string;
  password: string;
  database: string;
}

function parseTarget(options: ClickHouseHttpOptions): Target {
  let url: URL;
  let path: string;
  let username: string;
  let password: string;
  try {
    url = new URL(options.url);
    path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
    username = decodeURIComponent(url.username);
    password = decodeURIComponent(url.password);
  } catch (cause) {
    throw new StoreError("STORE_URL_INVALID", "the ClickHouse URL is not a URL", cause);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new StoreError("STORE_URL_INVALID", `the ClickHouse URL must be http or https, not ${url.protocol}`);
  }
  if (path.includes("/")) {
    throw new StoreError("STORE_URL_INVALID", `the ClickHouse URL path must be one database name, not ${path}`);
  }
  return {
    origin: url.origin,
    // Kept for the client's own URL options (request_timeout=…, ch_<setting>=…).
    search: url.search,
    username: options.username ?? (username || "default"),
    password: options.password ?? password,
    database: options.database ?? (path || "default"),
  };
}

/** The tag is put into a pattern, so only the plain tags the server makes are taken. */
function exceptionTag(header: string | string[] | undefined): string | undefined {
  return typeof header === "string" && /^[A-Za-z0-9]{1,64}$/.test(header) ? header : undefined;
}

/**
 * `written_rows` of the X-ClickHouse-Summary header counts what the server wrote, materialized
 * views included, as chdb's `rowsWritten` does. Without the header (a proxy dropped it) the
 * lines sent are the best answer: TabSeparated and JSONEachRow escape newlines inside values.
 */
function rowsWritten(summary: InsertResult["summary"], rows: Buffer): number {
  const written = Number(summary?.written_rows);
  return summary !== undefined && Number.isFinite(written) ? written : lineCount(rows);
}

/** The last bytes of a streamed body, where the server writes an error that came after the 200. */
class Tail {
  #chunks: Buffer[] = [];
  #bytes = 0;

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= TAIL_BYTES) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
    }
  }

  /**
   * From 25.11 the server writes `__exception__\r\n<tag>\r\n<message>\n<length> <tag>\r\n__exception__`
   * and then breaks the connection (ClickHouse#88818). From 24.11 it breaks the connection after
   * the plain message (ClickHouse#68800); that text is trusted only when the body did break.
   */
  exception(tag: string | undefined, taggedOnly = false): string | undefined {
    const text = Buffer.concat(this.#chunks).toString("utf8");
    if (tag !== undefined) {
      const block = new RegExp(
        `__exception__\\r?\\n?${tag}\\r?\\n([\\s\\S]*?)\\n?\\d+ ${tag}\\r?\\n?__exception__`,
        "g",
      );
      const found = [...text.matchAll(block)].at(-1);
      if (found !== undefined) return found[1]?.trim();
    }
    if (taggedOnly) return undefined;
    return [...text.matchAll(/Code: \d+\. DB::Exception: [^\n]*/g)].at(-1)?.[0].trim();
  }
}

/** Puts ClickHouse's `Code: NNN. DB::Exception: … (TYPE)` back in front, as chdb reports it. */
function failure(code: "STORE_QUERY_FAILED" | "STORE_INSERT_FAILED", what: string, cause: unknown): StoreError {
  const text =
    cause instanceof ClickHouseError
      ? `Code: ${cause.code}. DB::Exception: ${cause.message.trim()} (${cause.type})`
      : cause instanceof Error
        ? cause.message
        : String(cause);
  return new StoreError(code, `${what}: ${text}`, cause);
}
