import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChdbDriver, TelemetryStore } from "@lifeline/store";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkAnswers } from "../src/answer-check.ts";
import { answerErrors } from "../src/error-handler.ts";
import { ROUTE_DOCS } from "../src/route-docs.ts";
import { type SqlLimits, sqlRoute } from "../src/sql-route.ts";

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const dir = mkdtempSync(join(tmpdir(), "lifeline-sql-"));
const outfile = join(dir, "leak.csv");
/** 1,000 rows at once from the first block of numbers, then nothing until the time is up. */
const ROWS_THEN_TIMEOUT = "SELECT number FROM system.numbers WHERE number < 1000 OR sipHash64(number) = 0";
let store: TelemetryStore;
let app: FastifyInstance;
let small: FastifyInstance;
let slow: FastifyInstance;

/** The SQL route alone, answering errors as the API does. */
async function sqlApp(limits?: Partial<SqlLimits>): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  answerErrors(server);
  checkAnswers(server, ROUTE_DOCS);
  await server.register(sqlRoute(store, limits));
  return server;
}

const reading = (i: number, device = "dust-01") => ({
  site: "mine-7",
  gateway: "gw-01",
  device,
  metric: "pm10",
  ts: T0 + i * 20_000,
  value: i + 0.5,
  unit: "mg/m3",
  quality: "good" as const,
  boot_id: "b1",
  seq: i,
  idx: 0,
  stream_seq: i + 1,
});

beforeAll(async () => {
  store = await TelemetryStore.open(new ChdbDriver(dir));
  await store.insertTelemetry(
    [0, 1, 2, 3, 4, 5].map((i) => reading(i)),
    "seed",
  );
  app = await sqlApp();
  small = await sqlApp({ maxResultRows: 10 });
  slow = await sqlApp({ maxExecutionSeconds: 1 });
});
afterAll(async () => {
  await app.close();
  await small.close();
  await slow.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = async (payload: unknown, server = app) => {
  const res = await server.inject({ method: "POST", url: "/v1/sql", payload: payload as object });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
};

describe("POST /v1/sql", () => {
  it("answers a SELECT over telemetry with bound parameters, columns and exact values", async () => {
    const { status, body } = await post({
      sql: `SELECT device, toUnixTimestamp64Milli(ts) AS t, value, quality, count() OVER () AS n
            FROM telemetry WHERE device = {device:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
            ORDER BY ts LIMIT {n:UInt32};`,
      params: { device: "dust-01", from: T0 + 60_000, n: 2 },
    });
    expect(status).toBe(200);
    expect(body.columns).toEqual([
      { name: "device", type: "LowCardinality(String)" },
      { name: "t", type: "Int64" },
      { name: "value", type: "Float64" },
      { name: "quality", type: "Enum8('good' = 0, 'uncertain' = 1, 'bad' = 2)" },
      { name: "n", type: "UInt64" },
    ]);
    // 64-bit integers come as strings: a JSON number would lose digits past 2^53.
    expect(body.rows).toEqual([
      ["dust-01", String(T0 + 60_000), 3.5, "good", "3"],
      ["dust-01", String(T0 + 80_000), 4.5, "good", "3"],
    ]);
    expect(Object.keys(body)).toEqual(["columns", "rows", "elapsed_ms"]);
    expect(body.elapsed_ms).toBeGreaterThanOrEqual(0);
  });

  it("runs with our limits, read-only, and keeps exact decimals and big integers", async () => {
    const { body } = await post({
      sql: `SELECT getSetting('readonly') AS ro, getSetting('max_execution_time') AS met,
              getSetting('max_result_rows') AS mrr, toDecimal64(1.25, 2) AS d, {big:UInt64} AS big`,
      params: { big: "18446744073709551615" },
    });
    expect(body.rows).toEqual([[1, 30, 100_000, "1.25", "18446744073709551615"]]);
  });

  it("answers no rows with the columns", async () => {
    const { body } = await post({ sql: "SELECT device, value FROM telemetry WHERE device = 'none'" });
    expect(body.columns).toEqual([
      { name: "device", type: "LowCardinality(String)" },
      { name: "value", type: "Float64" },
    ]);
    expect(body.rows).toEqual([]);
  });

  it("keeps a result of several chunks whole, each row once", async () => {
    const { body } = await post({ sql: "SELECT number AS n FROM numbers(100000)" });
    expect(body.rows.length).toBe(100_000);
    expect(body.rows[0]).toEqual(["0"]);
    expect(body.rows[65_409]).toEqual(["65409"]);
    expect(body.rows[99_999]).toEqual(["99999"]);
  });

  it("reads system tables and strings that look like clauses", async () => {
    const { body } = await post({
      sql: "SELECT name, $x$ SETTINGS readonly = 0; $x$ AS s FROM system.settings WHERE name = 'readonly' -- ;",
    });
    expect(body.rows).toEqual([["readonly", " SETTINGS readonly = 0; "]]);
  });

  it("streams CSV with one header line, exact bytes", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/sql",
      payload: {
        sql: "SELECT device, value, quality FROM telemetry WHERE value < {max:Float64} ORDER BY ts",
        params: { max: 3 },
        format: "csv",
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(res.headers["content-disposition"]).toBe('attachment; filename="query.csv"');
    expect(res.body).toBe(
      '"device","value","quality"\n"dust-01",0.5,"good"\n"dust-01",1.5,"good"\n"dust-01",2.5,"good"\n',
    );
  });

  it("writes the CSV header once over several chunks, even a header with a newline", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/sql",
      payload: { sql: 'SELECT number AS "n\n""1""" FROM numbers(100000)', format: "csv" },
    });
    const expected = `"n\n""1"""\n${Array.from({ length: 100_000 }, (_, i) => `${i}\n`).join("")}`;
    expect(res.body).toBe(expected);
  });

  it.each([
    ["SELECT 1; DROP TABLE telemetry", "only one statement is accepted: a second one starts at offset 10"],
    ["DROP TABLE telemetry", "only SELECT and WITH queries are accepted, not DROP at offset 0"],
    [
      "SELECT * FROM (SELECT count() FROM telemetry SETTINGS readonly = 0)",
      "SETTINGS at offset 45 is refused: the API sets the query's settings itself",
    ],
    ["SELECT file('/etc/passwd')", "file() at offset 7 is refused: it reaches outside the database"],
    [
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "file() at offset 14 is refused: it reaches outside the database",
    ],
    [
      "SELECT * FROM (SELECT * FROM file('/etc/passwd', 'LineAsString') SETTINGS readonly = 0)",
      "file() at offset 29 is refused: it reaches outside the database",
    ],
    ["SELECT 1; SELECT * FROM file('/etc/passwd')", "only one statement is accepted: a second one starts at offset 10"],
    [
      `SELECT * FROM system.one INTO OUTFILE '${outfile}'`,
      "INTO OUTFILE at offset 25 is refused: a query returns its result and writes no file or table",
    ],
    [
      "SELECT 1 FORMAT TabSeparated",
      "FORMAT at offset 9 is refused: the format is chosen with the request's format field",
    ],
    [
      "SELECT * FROM loop(numbers(3))",
      "the query needs more than read access: Code: 164. DB::Exception: default: Cannot execute query in readonly mode. (READONLY)",
    ],
  ])("refuses %j", async (sql, message) => {
    const { status, body } = await post({ sql });
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code: "API_QUERY_REFUSED", parameter: "sql", message } });
    expect(existsSync(outfile)).toBe(false);
  });

  it("stops a result over max_result_rows", async () => {
    expect((await post({ sql: "SELECT number FROM numbers(10)" }, small)).body.rows.length).toBe(10);
    for (const format of ["json", "csv"]) {
      const { status, body } = await post({ sql: "SELECT number FROM numbers(1000)", format }, small);
      expect(status).toBe(422);
      expect(body).toEqual({
        error: {
          code: "API_LIMIT_EXCEEDED",
          parameter: "sql",
          message: "the result has more rows than max_result_rows (10)",
        },
      });
    }
  });

  it.each(["SELECT count() FROM system.numbers WHERE sipHash64(number) = 0", ROWS_THEN_TIMEOUT])(
    "stops a query over max_execution_time: %s",
    async (sql) => {
      const started = Date.now();
      const { status, body } = await post({ sql }, slow);
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(status).toBe(422);
      expect(body.error).toEqual({
        code: "API_LIMIT_EXCEEDED",
        parameter: "sql",
        message: "the query ran longer than max_execution_time (1 s)",
      });
    },
  );

  it.each([
    [
      "SELECT device FROM telemetry WHERE = 1",
      {},
      "Code: 62. DB::Exception: Syntax error: failed at position 36 (=) (line 1, col 36): = 1",
    ],
    [
      "SELECT * FROM nope",
      {},
      "Code: 60. DB::Exception: Unknown table expression identifier 'nope' in scope SELECT * FROM nope. Maybe you meant system.one?. (UNKNOWN_TABLE)",
    ],
    ["SELECT {n:UInt32}", {}, "Code: 456. DB::Exception: Substitution `n` is not set. (UNKNOWN_QUERY_PARAMETER)"],
    [
      "SELECT {n:UInt32}",
      { n: "abc" },
      "Code: 457. DB::Exception: Value abc cannot be parsed as UInt32 for query parameter 'n' because it isn't parsed completely: only 0 of 3 bytes was parsed: . (BAD_QUERY_PARAMETER)",
    ],
  ])("answers ClickHouse's message for %j", async (sql, params, message) => {
    const { status, body } = await post({ sql, params });
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code: "API_QUERY_FAILED", parameter: "sql", message } });
  });

  it.each([
    [{}, "sql", "sql: Invalid input: expected string, received undefined"],
    [{ sql: 1 }, "sql", "sql: Invalid input: expected string, received number"],
    [{ sql: "x".repeat(100_001) }, "sql", "sql: Too big: expected string to have <=100000 characters"],
    [{ sql: "SELECT 1", format: "xml" }, "format", 'format: Invalid option: expected one of "json"|"csv"'],
    [{ sql: "SELECT 1", limit: 5 }, "limit", 'limit: Unrecognized key: "limit"'],
    [{ sql: "SELECT 1", params: [1] }, "params", "params: Invalid input: expected record, received array"],
    [{ sql: "SELECT 1", params: { "a-b": 1 } }, "params.a-b", "params.a-b: expected a name of A-Z, a-z, 0-9 and _"],
    [
      { sql: "SELECT 1", params: { a: { b: 1 } } },
      "params.a",
      "params.a: expected a string, number, boolean, null or an array of them",
    ],
    [
      { sql: "SELECT 1", params: { a: 2 ** 53 + 2 } },
      "params.a",
      "params.a: integers beyond ±2^53 lose precision in JSON: pass them as strings",
    ],
    [{ sql: "" }, "sql", "the statement is empty"],
  ])("answers 400 naming the field: %#", async (payload, parameter, message) => {
    const { status, body } = await post(payload);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ parameter, message });
  });

  it("leaves no setting behind: the store still writes", async () => {
    expect(await store.insertTelemetry([reading(0, "dust-02")], "after-sql")).toBe(1);
    const [row] = await store.driver.query<{ ro: number; met: number }>(
      "SELECT getSetting('readonly') AS ro, getSetting('max_execution_time') AS met",
    );
    expect(row).toEqual({ ro: 0, met: 0 });
    expect((await post({ sql: "SELECT count() AS n FROM telemetry" })).body.rows).toEqual([["7"]]);
  });
});

describe("POST /v1/sql over a socket", () => {
  it("cuts a CSV off when the query fails after its first rows were sent", async () => {
    const server = await sqlApp({ maxExecutionSeconds: 1 });
    await server.listen({ host: "127.0.0.1", port: 0 });
    try {
      const { port } = server.server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/v1/sql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sql: ROWS_THEN_TIMEOUT, format: "csv" }),
      });
      expect(res.status).toBe(200);
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      let received = "";
      const read = async () => {
        for (let next = await reader.read(); !next.done; next = await reader.read()) {
          received += new TextDecoder().decode(next.value);
        }
      };
      await expect(read()).rejects.toThrow("terminated");
      expect(received).toBe(`"number"\n${Array.from({ length: 1000 }, (_, i) => `${i}\n`).join("")}`);
    } finally {
      await server.close();
    }
  });
});

describe("POST /v1/sql, queries at once", () => {
  it("answers 429 over the allowed number, and takes queries again once they finished", async () => {
    const server = await sqlApp({ maxConcurrent: 1 });
    try {
      const slowOne = post({ sql: "SELECT sleep(1) AS s" }, server);
      await new Promise((r) => setTimeout(r, 200));
      const refused = await post({ sql: "SELECT 1 AS x" }, server);
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        error: { code: "API_BUSY", message: "1 queries are running, the most at once; try again shortly" },
      });
      expect((await slowOne).status).toBe(200);
      expect((await post({ sql: "SELECT 1 AS x" }, server)).body.rows).toEqual([[1]]);
    } finally {
      await server.close();
    }
  });
});
