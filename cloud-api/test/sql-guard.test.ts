import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api-error.ts";
import { checkReadOnlySql, lexSql } from "../src/sql-guard.ts";

const refusal = (sql: string) => {
  try {
    checkReadOnlySql(sql);
  } catch (error) {
    if (error instanceof ApiError) return { code: error.code, parameter: error.parameter, message: error.message };
    throw error;
  }
  throw new Error(`accepted: ${sql}`);
};

describe("checkReadOnlySql accepts one SELECT", () => {
  it.each([
    ["SELECT 1", "SELECT 1"],
    ["  select 1 ;  -- done\n", "  select 1"],
    ["SELECT 1 /* why */;\n# shell-style comment", "SELECT 1"],
    ["WITH t AS (SELECT 1 AS x) SELECT x FROM t", "WITH t AS (SELECT 1 AS x) SELECT x FROM t"],
    [
      "SELECT device FROM telemetry WHERE device IN (SELECT device FROM telemetry WHERE value > 1)",
      "SELECT device FROM telemetry WHERE device IN (SELECT device FROM telemetry WHERE value > 1)",
    ],
    ["(SELECT 1) UNION ALL (SELECT 2)", "(SELECT 1) UNION ALL (SELECT 2)"],
    ["SELECT 'a;b', 'SETTINGS readonly = 0', 'it''s', 'back\\'slash; INTO'", undefined],
    ['SELECT "SETTINGS", `format`, "in""to" FROM t', undefined],
    ["SELECT 1 -- ; SETTINGS readonly = 0\n, 2", undefined],
    ["SELECT 1 /* ; /* nested ; */ SETTINGS readonly = 0 */ + 1", undefined],
    ["SELECT 1 # ; INTO OUTFILE '/tmp/x'\n, 2", undefined],
    ["SELECT 1 // FORMAT CSV\n, 2", undefined],
    ["SELECT $x$ SETTINGS readonly = 0; $x$ AS s, $$;$$", undefined],
    [
      "SELECT value FROM telemetry WHERE device = {device:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')",
      undefined,
    ],
    ["SELECT {settings:String}, { format : String }, {ids:Array(UInt64)}", undefined],
    ["SELECT name, value FROM system.settings WHERE name = 'readonly'", undefined],
    ["SELECT * FROM `system`.settings", undefined],
    ["SELECT format('{}/{}', site, device) FROM telemetry", undefined],
    ["SELECT tuple(1, 2).1, 1.5e-3, .5, 0x1F, 0b101, 1_000, a$b FROM t", undefined],
    ["SELECT count() FROM system.numbers WHERE number < 10", undefined],
    ["SELECT file_size, filesystemAvailable() FROM t", undefined],
  ])("%j", (sql, statement) => {
    expect(checkReadOnlySql(sql)).toBe(statement ?? sql);
  });
});

describe("checkReadOnlySql refuses", () => {
  it.each([
    ["", "the statement is empty"],
    ["  -- nothing\n ;", "the statement is empty"],
    ["SELECT 1; DROP TABLE telemetry", "only one statement is accepted: a second one starts at offset 10"],
    ["SELECT 1;;", "only one statement is accepted: a second one starts at offset 9"],
    [
      "SELECT 1 SETTINGS readonly = 1; INSERT INTO telemetry SELECT * FROM telemetry",
      "only one statement is accepted: a second one starts at offset 32",
    ],
    ["SELECT ';' ; SELECT 2", "only one statement is accepted: a second one starts at offset 13"],
    ["/* hi */ drop table t", "only SELECT and WITH queries are accepted, not drop at offset 9"],
    ["(INSERT INTO t VALUES (1))", "only SELECT and WITH queries are accepted, not INSERT at offset 1"],
    ["'SELECT 1'", "only SELECT and WITH queries are accepted, not 'SELECT 1' at offset 0"],
    [
      "SELECT * FROM (SELECT count() FROM numbers(10) SETTINGS readonly = 0)",
      "SETTINGS at offset 47 is refused: the API sets the query's settings itself",
    ],
    ["SELECT 1 settings max_threads = 1", "SETTINGS at offset 9 is refused: the API sets the query's settings itself"],
    ["SELECT tuple(1, 2).1.SETTINGS", "SETTINGS at offset 21 is refused: the API sets the query's settings itself"],
    ["SELECT 1e5.SETTINGS", "SETTINGS at offset 11 is refused: the API sets the query's settings itself"],
    ["SELECT 1 #SETTINGS", "SETTINGS at offset 10 is refused: the API sets the query's settings itself"],
    [
      "SELECT 1 INTO OUTFILE '/tmp/x.csv'",
      "INTO OUTFILE at offset 9 is refused: a query returns its result and writes no file or table",
    ],
    [
      "WITH 1 AS x INSERT INTO t SELECT x",
      "INTO at offset 19 is refused: a query returns its result and writes no file or table",
    ],
    ["SELECT 1 FORMAT CSV", "FORMAT at offset 9 is refused: the format is chosen with the request's format field"],
    ["SELECT t.format FROM t", "FORMAT at offset 9 is refused: the format is chosen with the request's format field"],
    ["SELECT file('/etc/passwd')", "file() at offset 7 is refused: it reaches outside the database"],
    [
      "SELECT count() FROM file('/etc/passwd', 'LineAsString')",
      "file() at offset 20 is refused: it reaches outside the database",
    ],
    [
      "SELECT * FROM (SELECT * FROM file('/etc/passwd', 'LineAsString') SETTINGS readonly = 0)",
      "file() at offset 29 is refused: it reaches outside the database",
    ],
    [
      "SELECT arrayMap(p -> file(p), ['/etc/passwd'])",
      "file() at offset 21 is refused: it reaches outside the database",
    ],
    ["SELECT `file`('/etc/passwd')", "file() at offset 7 is refused: it reaches outside the database"],
    ["SELECT \"File\" ('/etc/passwd')", "File() at offset 7 is refused: it reaches outside the database"],
    ["SELECT \"\\x66ile\"('/etc/passwd')", "the quoted function name at offset 7 has escapes"],
    [
      "SELECT * FROM url('http://169.254.169.254/latest/meta-data/', 'LineAsString')",
      "url() at offset 14 is refused: it reaches outside the database",
    ],
    [
      "SELECT * FROM executable('id', 'LineAsString', 'x String')",
      "executable() at offset 14 is refused: it reaches outside the database",
    ],
    [
      "SELECT * FROM remote('10.0.0.1', system.one)",
      "remote() at offset 14 is refused: it reaches outside the database",
    ],
    ["SELECT * FROM s3('http://x/y.csv')", "s3() at offset 14 is refused: it reaches outside the database"],
    ["SELECT * FROM icebergLocal('/etc')", "icebergLocal() at offset 14 is refused: it reaches outside the database"],
    [
      "SELECT * FROM postgresql('db:5432', 'db', 't', 'u', 'p')",
      "postgresql() at offset 14 is refused: it reaches outside the database",
    ],
    ["SELECT aiGenerate('hello')", "aiGenerate() at offset 7 is refused: it reaches outside the database"],
    ["SELECT 'x' /* never closed", "the comment starting at offset 11 is not closed"],
    ["SELECT 1 /* /* */", "the comment starting at offset 9 is not closed"],
    ["SELECT 'x", "the string starting at offset 7 is not closed"],
    ["SELECT 'x\\'", "the string starting at offset 7 is not closed"],
    ['SELECT "x', "the quoted name starting at offset 7 is not closed"],
    ["SELECT $ SETTINGS $", "'$' at offset 7 is refused: it may only open a $name$…$name$ string"],
    ["SELECT $x$ never closed", "'$' at offset 7 is refused: it may only open a $name$…$name$ string"],
    ["SELECT 1\0", "a NUL character at offset 8 is refused"],
    ["SELECT (1", "'(' at offset 7 is not closed"],
    ["SELECT 1) UNION ALL (SELECT 2", "')' at offset 8 closes no '('"],
    ["SELECT [1)", "')' at offset 9 closes no '('"],
  ])("%j", (sql, message) => {
    expect(refusal(sql)).toEqual({ code: "API_QUERY_REFUSED", parameter: "sql", message });
  });

  it.each([
    "INSERT",
    "ALTER",
    "DROP",
    "CREATE",
    "SET",
    "SYSTEM",
    "KILL",
    "OPTIMIZE",
    "ATTACH",
    "DETACH",
    "RENAME",
    "TRUNCATE",
    "GRANT",
    "REVOKE",
    "EXPLAIN",
    "SHOW",
    "DESCRIBE",
    "USE",
    "EXCHANGE",
    "BACKUP",
    "DELETE",
    "UPDATE",
    "CHECK",
    "EXISTS",
  ])("a statement starting with %s", (keyword) => {
    expect(refusal(`${keyword} something`).message).toBe(
      `only SELECT and WITH queries are accepted, not ${keyword} at offset 0`,
    );
  });
});

describe("lexSql", () => {
  const significant = (sql: string) =>
    lexSql(sql)
      .filter((t) => t.kind !== "space")
      .map((t) => [t.kind, t.text]);

  it("reads numbers, dots and names as ClickHouse does", () => {
    expect(significant("x.1.2 1.2 1e-3 1e-3x 0x1F 1_000 .5 (.5) 1abc a$b")).toEqual([
      ["word", "x"],
      ["punct", "."],
      ["number", "1"],
      ["punct", "."],
      ["number", "2"],
      ["number", "1.2"],
      ["number", "1e-3"],
      ["word", "1e-3x"], // one (wrong) token for ClickHouse too
      ["number", "0x1F"],
      ["number", "1_000"],
      ["punct", "."], // after a number: tuple access
      ["number", "5"],
      ["punct", "("],
      ["number", ".5"],
      ["punct", ")"],
      ["word", "1abc"],
      ["word", "a$b"],
    ]);
  });

  it("reads strings, quoted names, heredocs and comments", () => {
    expect(significant("'a\\'b''c' \"d\"\"e\" `f` $t$ x $t$ -- c\n/* a /* b */ */ #! d")).toEqual([
      ["string", "'a\\'b''c'"],
      ["quoted", '"d""e"'],
      ["quoted", "`f`"],
      ["string", "$t$ x $t$"],
      ["comment", "-- c"],
      ["comment", "/* a /* b */ */"],
      ["comment", "#! d"],
    ]);
  });
});
