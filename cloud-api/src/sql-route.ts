import { Readable } from "node:stream";
import { StoreError, type TelemetryStore } from "@lifeline/store";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { ApiError } from "./api-error.ts";
import { checkReadOnlySql } from "./sql-guard.ts";

/** What one analyst's query may take; each becomes a ClickHouse setting of that query alone. */
export interface SqlLimits {
  /** `max_execution_time`, seconds. */
  maxExecutionSeconds: number;
  /** `max_memory_usage`, bytes. */
  maxMemoryBytes: number;
  /**
   * `max_result_rows`. ClickHouse checks it block by block (~65k rows), so a query fails a little
   * past it rather than at it: a cap, not a LIMIT.
   */
  maxResultRows: number;
  /** `max_result_bytes` (uncompressed): wide rows bound the buffered JSON answer too. */
  maxResultBytes: number;
  /**
   * Queries running at once; more are answered 429 at once. Each may use `maxMemoryBytes`: this
   * bounds what analysts together can take from the machine that also ingests.
   */
  maxConcurrent: number;
}

export const DEFAULT_SQL_LIMITS: SqlLimits = {
  maxExecutionSeconds: 30,
  maxMemoryBytes: 2_000_000_000,
  maxResultRows: 100_000,
  maxResultBytes: 100_000_000,
  maxConcurrent: 2,
};

export const MAX_SQL_LENGTH = 100_000;

type ParamValue = string | number | boolean | null | ParamValue[];

const paramValueSchema: z.ZodType<ParamValue> = z
  .lazy(() =>
    z.union(
      [
        z.string(),
        z
          .number()
          .refine(
            (n) => !Number.isInteger(n) || Number.isSafeInteger(n),
            "integers beyond ±2^53 lose precision in JSON: pass them as strings",
          ),
        z.boolean(),
        z.null(),
        z.array(paramValueSchema),
      ],
      { error: "expected a string, number, boolean, null or an array of them" },
    ),
  )
  .meta({ id: "SqlParamValue" }); // recursive: a component of the OpenAPI document, named

export const sqlBodySchema = z.strictObject({
  sql: z.string().max(MAX_SQL_LENGTH),
  /** Values for the statement's `{name:Type}` placeholders, bound by ClickHouse. */
  params: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), paramValueSchema, {
      error: (issue) => (issue.code === "invalid_key" ? "expected a name of A-Z, a-z, 0-9 and _" : undefined),
    })
    .optional(),
  format: z.enum(["json", "csv"]).optional(),
});

/**
 * `POST /v1/sql` `{ sql, params?, format? }`: one read-only SELECT of the analysts, run with our
 * limits. JSON answers `{ columns: [{ name, type }], rows: [[…]], elapsed_ms }` (64-bit integers
 * and decimals as strings, exact); CSV streams as a download with a header line. A CSV that fails
 * after its first bytes were sent is cut off, so that the client sees a broken transfer rather
 * than a file that looks whole.
 */
export function sqlRoute(store: TelemetryStore, limits: Partial<SqlLimits> = {}) {
  const l = checkLimits({ ...DEFAULT_SQL_LIMITS, ...limits });
  let running = 0;
  return async (app: FastifyInstance) => {
    app.post("/v1/sql", async (request, reply) => {
      const body = parseBody(request.body);
      const sql = limitedSql(checkReadOnlySql(body.sql), l);
      if (running >= l.maxConcurrent) {
        throw new ApiError("API_BUSY", `${running} queries are running, the most at once; try again shortly`);
      }
      running++;
      // Counted until the answer is sent in full or the client went away (CSV streams outlive the handler).
      reply.raw.once("close", () => running--);
      // A client that goes away stops its query (after a whole answer this changes nothing).
      const abort = new AbortController();
      reply.raw.once("close", () => abort.abort());
      const started = performance.now();
      const format = body.format === "csv" ? "CSVWithNames" : "JSONCompactEachRowWithNamesAndTypes";
      const chunks = store.driver.queryStream(sql, body.params, format, abort.signal)[Symbol.asyncIterator]();
      if (body.format === "csv") {
        const { header, rest } = await splitHeader(chunks, csvRecordEnd).catch((e: unknown) => failed(e, l));
        return reply
          .header("content-type", "text/csv; charset=utf-8")
          .header("content-disposition", 'attachment; filename="query.csv"')
          .send(Readable.from(csvBytes(header, rest, reply), { objectMode: false }));
      }
      try {
        const { header, rest } = await splitHeader(chunks, (b) => lineEnd(b, 2));
        const [names = [], types = []] = header.toString("utf8").split("\n").slice(0, 2).map(parseJsonLine);
        const rows = (await collect(rest))
          .split("\n")
          .filter((line) => line !== "")
          .map(parseJsonLine);
        const columns = names.map((name, i) => ({ name, type: types[i] }));
        return { columns, rows, elapsed_ms: Math.round(performance.now() - started) };
      } catch (error) {
        return failed(error, l);
      }
    });
  };
}

function parseBody(body: unknown): z.infer<typeof sqlBodySchema> {
  const parsed = sqlBodySchema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.code === "unrecognized_keys" ? (issue.keys[0] ?? "(body)") : issue?.path.join(".") || "(body)";
  throw new ApiError("API_BAD_PARAMETER", `${field}: ${issue?.message ?? "invalid"}`, field);
}

function checkLimits(l: SqlLimits): SqlLimits {
  for (const [name, value] of Object.entries(l)) {
    // They are written into the SQL: numbers only.
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`SQL limit ${name} must be a positive number`);
  }
  return l;
}

/**
 * The statement in parentheses, then our settings: with its brackets balanced (see the guard)
 * nothing in it can reach past the parentheses and take the SETTINGS for its own.
 */
function limitedSql(statement: string, l: SqlLimits): string {
  return `(${statement}
)
SETTINGS readonly = 1, max_execution_time = ${l.maxExecutionSeconds}, max_memory_usage = ${Math.round(l.maxMemoryBytes)},
  max_result_rows = ${Math.round(l.maxResultRows)}, max_result_bytes = ${Math.round(l.maxResultBytes)},
  result_overflow_mode = 'throw', output_format_json_quote_64bit_integers = 1, output_format_json_quote_decimals = 1`;
}

/**
 * chdb writes a format's header (names, types) again at the start of every chunk of a stream. The
 * first header is kept, its repeats at chunk starts dropped; a driver that writes it once (HTTP)
 * stops the dropping at the first chunk that does not start with it.
 */
async function splitHeader(
  chunks: AsyncIterator<Uint8Array>,
  headerEnd: (bytes: Buffer) => number,
): Promise<{ header: Buffer; rest: AsyncGenerator<Buffer> }> {
  let start = Buffer.alloc(0);
  let end = -1;
  while (end < 0) {
    const next = await chunks.next();
    if (next.done) throw new Error("the query's result ended inside its header");
    start = Buffer.concat([start, next.value]);
    end = headerEnd(start);
  }
  const header = start.subarray(0, end);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (end < start.length) yield start.subarray(end);
      let repeats = true;
      for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
        if (next.value.byteLength === 0) continue;
        let chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        repeats &&= chunk.subarray(0, header.length).equals(header);
        if (repeats) chunk = chunk.subarray(header.length);
        if (chunk.length > 0) yield chunk;
      }
    } finally {
      await chunks.return?.();
    }
  }
  return { header, rest: rest() };
}

/** After `count` lines: JSON rows never hold a raw newline. */
function lineEnd(bytes: Buffer, count: number): number {
  let seen = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a && ++seen === count) return i + 1;
  return -1;
}

/** After the first CSV record; a quoted name may hold a newline (`""` is a quote inside quotes). */
function csvRecordEnd(bytes: Buffer): number {
  let quoted = false;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x22) quoted = !quoted;
    else if (bytes[i] === 0x0a && !quoted) return i + 1;
  }
  return -1;
}

async function* csvBytes(header: Buffer, rest: AsyncIterable<Buffer>, reply: FastifyReply): AsyncGenerator<Buffer> {
  yield header;
  try {
    yield* rest;
  } catch (error) {
    // The status line and some rows are out: only a broken connection can still say "failed".
    reply.raw.destroy();
    throw error;
  }
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts).toString("utf8");
}

/** One JSONCompactEachRow line: a row's values, or the header's names or types. */
function parseJsonLine(line: string): unknown[] {
  return JSON.parse(line) as unknown[];
}

/** ClickHouse error codes (src/Common/ErrorCodes.cpp) that name a limit of ours. */
const LIMIT_CODES: Record<number, (l: SqlLimits, message: string) => string> = {
  159: (l) => `the query ran longer than max_execution_time (${l.maxExecutionSeconds} s)`,
  241: (l) => `the query needed more memory than max_memory_usage (${l.maxMemoryBytes} bytes)`,
  396: (l, message) =>
    /max bytes/.test(message)
      ? `the result is larger than max_result_bytes (${l.maxResultBytes} bytes)`
      : `the result has more rows than max_result_rows (${l.maxResultRows})`,
  158: () => "the query read more rows than max_rows_to_read",
};

/** Errors of the query itself: syntax, names, types, arguments, parameters. */
const QUERY_CODES = new Set([
  6, 8, 10, 16, 25, 26, 27, 32, 33, 34, 35, 36, 38, 41, 42, 43, 44, 46, 47, 48, 50, 53, 60, 62, 69, 70, 72, 81, 117,
  153, 179, 184, 190, 215, 344, 352, 386, 395, 407, 456, 457, 477, 701,
]);

/** Maps a ClickHouse error to the API's; anything not the query's fault is rethrown (500). */
function failed(error: unknown, l: SqlLimits): never {
  if (!(error instanceof StoreError) || error.code !== "STORE_QUERY_FAILED") throw error;
  const message = clickHouseMessage(error.message);
  const code = Number(/^Code: (\d+)\./.exec(message)?.[1]);
  const limit = LIMIT_CODES[code];
  if (limit !== undefined) throw new ApiError("API_LIMIT_EXCEEDED", limit(l, message), "sql", error);
  if (code === 164) {
    throw new ApiError("API_QUERY_REFUSED", `the query needs more than read access: ${message}`, "sql", error);
  }
  if (QUERY_CODES.has(code)) throw new ApiError("API_QUERY_FAILED", message, "sql", error);
  throw error;
}

/**
 * The first line of ClickHouse's message, with syntax error positions moved back by the `(` the
 * statement was wrapped in, so that they count in the analyst's SQL.
 */
function clickHouseMessage(storeMessage: string): string {
  const at = storeMessage.indexOf("Code: ");
  const line = (at < 0 ? storeMessage : storeMessage.slice(at)).split("\n")[0] ?? "";
  return line
    .replace(/failed at position (\d+)/, (_, n: string) => `failed at position ${Number(n) - 1}`)
    .replace(/\(line 1, col (\d+)\)/, (_, n: string) => `(line 1, col ${Number(n) - 1})`);
}
