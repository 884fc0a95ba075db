import { ApiError } from "./api-error.ts";

/**
 * The analysts' SQL runs with `SETTINGS readonly = 1`, which is not a sandbox in chdb: a second
 * statement runs unchecked, a subquery's own `SETTINGS readonly = 0` wins, `INTO OUTFILE` writes
 * files and the `file()` function reads any file (all verified on chdb 3.4). This guard lets
 * through one SELECT (or WITH … SELECT) that cannot change its settings, choose its output or
 * reach outside the database. It reads the SQL with ClickHouse's own lexing rules
 * (src/Parsers/Lexer.cpp), so that what it takes for a string or a comment is one for
 * ClickHouse too; anything it cannot read the same way is refused.
 */
export function checkReadOnlySql(sql: string): string {
  const tokens = lexSql(sql).filter((t) => t.kind !== "space" && t.kind !== "comment");
  const first = tokens[0];
  if (first === undefined) throw refused("the statement is empty");
  const semicolon = tokens.findIndex((t) => t.kind === "punct" && t.text === ";");
  const statement = semicolon < 0 ? tokens : tokens.slice(0, semicolon);
  const second = semicolon < 0 ? undefined : tokens[semicolon + 1];
  if (second !== undefined) {
    throw refused(`only one statement is accepted: a second one starts at offset ${second.start}`);
  }
  const last = statement.at(-1);
  if (last === undefined) throw refused("the statement is empty");
  checkFirstKeyword(statement);
  checkBrackets(statement);
  statement.forEach((token, i) => {
    checkKeyword(statement, i);
    checkFunction(token, statement[i + 1]);
  });
  return sql.slice(0, last.end);
}

type TokenKind = "space" | "comment" | "word" | "quoted" | "string" | "number" | "punct";

export interface SqlToken {
  kind: TokenKind;
  text: string;
  /** Offset of the first character in the SQL. */
  start: number;
  end: number;
}

/** Keywords refused anywhere outside strings: the API sets the settings and the format itself. */
const REFUSED_KEYWORDS: Record<string, string> = {
  SETTINGS: "the API sets the query's settings itself",
  INTO: "a query returns its result and writes no file or table",
  FORMAT: "the format is chosen with the request's format field",
};

/**
 * Functions and table functions that reach files, hosts or programs outside the database.
 * `file()` as a function reads any file even in readonly mode; the table functions are refused
 * by `readonly = 1` as well, named here for a clear answer. The AI functions call out to LLM
 * providers (behind an experimental setting today).
 */
const OUTSIDE_FUNCTIONS =
  /^(?:file|fileCluster|filesystem|url|urlCluster|executable|remote|remoteSecure|cluster|clusterAllReplicas|s3|s3Cluster|gcs|oss|cosn|hdfs\w*|azureBlobStorage\w*|iceberg\w*|deltaLake\w*|hudi\w*|paimon\w*|mysql|postgresql|sqlite|odbc|jdbc|mongodb|redis|ytsaurus|arrowstream|input|catboostEvaluate|ai(?:Generate|Classify|Extract|Translate|Embed))$/i;

function refused(message: string): ApiError {
  return new ApiError("API_QUERY_REFUSED", message, "sql");
}

function checkFirstKeyword(statement: readonly SqlToken[]): void {
  const first = statement.find((t) => t.text !== "(");
  if (first === undefined) return;
  const keyword = first.kind === "word" ? first.text.toUpperCase() : "";
  if (keyword !== "SELECT" && keyword !== "WITH") {
    throw refused(`only SELECT and WITH queries are accepted, not ${shown(first.text)} at offset ${first.start}`);
  }
}

/** Balanced brackets keep the statement whole inside the parentheses the route wraps it in. */
function checkBrackets(statement: readonly SqlToken[]): void {
  const open: SqlToken[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  for (const token of statement) {
    if (token.kind !== "punct") continue;
    if (token.text === "(" || token.text === "[" || token.text === "{") open.push(token);
    const opening = pairs[token.text];
    if (opening !== undefined && open.pop()?.text !== opening) {
      throw refused(`'${token.text}' at offset ${token.start} closes no '${opening}'`);
    }
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) throw refused(`'${unclosed.text}' at offset ${unclosed.start} is not closed`);
}

function checkKeyword(statement: readonly SqlToken[], i: number): void {
  const token = statement[i];
  if (token?.kind !== "word") return;
  const keyword = token.text.toUpperCase();
  const why = REFUSED_KEYWORDS[keyword];
  if (why === undefined) return;
  const prev = statement[i - 1];
  const next = statement[i + 1];
  // `system.settings`: a table name's part right after the dot of a qualified name, not a clause.
  const qualifiedPart =
    keyword === "SETTINGS" &&
    prev?.text === "." &&
    prev.end === token.start &&
    (statement[i - 2]?.kind === "word" || statement[i - 2]?.kind === "quoted") &&
    statement[i - 2]?.end === prev.start;
  // `format('{} {}', a, b)` is the string function; the FORMAT clause takes a bare name.
  const formatFunction = keyword === "FORMAT" && next?.text === "(";
  // `{settings:String}`: a query parameter's name.
  const parameterName = prev?.text === "{" && next?.text === ":";
  if (qualifiedPart || formatFunction || parameterName) return;
  const what = keyword === "INTO" && next?.text.toUpperCase() === "OUTFILE" ? "INTO OUTFILE" : keyword;
  throw refused(`${what} at offset ${token.start} is refused: ${why}`);
}

function checkFunction(token: SqlToken, next: SqlToken | undefined): void {
  if (next?.text !== "(" || (token.kind !== "word" && token.kind !== "quoted")) return;
  let name = token.text;
  if (token.kind === "quoted") {
    // ClickHouse decodes escapes in quoted names (`"\x66ile"` is file): refuse rather than decode.
    if (name.includes("\\")) throw refused(`the quoted function name at offset ${token.start} has escapes`);
    const quote = name[0] ?? "";
    name = name.slice(1, -1).replaceAll(quote + quote, quote);
  }
  if (OUTSIDE_FUNCTIONS.test(name)) {
    throw refused(`${name}() at offset ${token.start} is refused: it reaches outside the database`);
  }
}

function shown(text: string): string {
  return text.length > 20 ? `${text.slice(0, 20)}…` : text;
}

/**
 * Splits ClickHouse SQL into tokens, after src/Parsers/Lexer.cpp: strings and quoted names with
 * backslash escapes and doubled quotes, `--`, `//`, `# ` and nested `/* *\/` comments, heredocs
 * `$name$…$name$`, and numbers (which decide whether a `.` is part of a number). What ClickHouse
 * would read differently or not at all — an unclosed string or comment, a NUL — is refused.
 */
export function lexSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let prev: SqlToken | undefined;
  let pos = 0;
  while (pos < sql.length) {
    const token = nextToken(sql, pos, prev);
    tokens.push(token);
    if (token.kind !== "space" && token.kind !== "comment") prev = token;
    pos = token.end;
  }
  return tokens;
}

function nextToken(sql: string, start: number, prev: SqlToken | undefined): SqlToken {
  const c = sql.charAt(start);
  const next = sql.charAt(start + 1);
  const token = (kind: TokenKind, end: number): SqlToken => ({ kind, text: sql.slice(start, end), start, end });
  if (isSpace(c)) return token("space", skip(sql, start, isSpace));
  if (isDigit(c)) return numberToken(sql, start, prev);
  if (c === "'") return token("string", quotedEnd(sql, start, "string"));
  if (c === '"' || c === "`") return token("quoted", quotedEnd(sql, start, "quoted name"));
  if ((c === "-" && next === "-") || (c === "/" && next === "/") || (c === "#" && (next === " " || next === "!"))) {
    const newline = sql.indexOf("\n", start);
    return token("comment", newline < 0 ? sql.length : newline);
  }
  if (c === "/" && next === "*") return token("comment", blockCommentEnd(sql, start));
  if (c === "$") return token("string", heredocEnd(sql, start));
  if (c === ".") return dotToken(sql, start, prev);
  if (isWordChar(c))
    return token(
      "word",
      skip(sql, start, (ch) => isWordChar(ch) || ch === "$"),
    );
  if (c === "\0") throw refused(`a NUL character at offset ${start} is refused`);
  return token("punct", start + 1);
}

function quotedEnd(sql: string, start: number, what: string): number {
  const quote = sql.charAt(start);
  let pos = start + 1;
  while (pos < sql.length) {
    const c = sql.charAt(pos);
    if (c === "\\") pos += 2;
    else if (c !== quote) pos += 1;
    else if (sql.charAt(pos + 1) === quote) pos += 2;
    else return pos + 1;
  }
  throw refused(`the ${what} starting at offset ${start} is not closed`);
}

/** Block comments nest, as in the SQL standard and ClickHouse. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let pos = start;
  while (pos + 1 < sql.length) {
    const pair = sql.slice(pos, pos + 2);
    if (pair === "/*") depth += 1;
    else if (pair === "*/") depth -= 1;
    if (depth === 0) return pos + 2;
    pos += pair === "/*" || pair === "*/" ? 2 : 1;
  }
  throw refused(`the comment starting at offset ${start} is not closed`);
}

/**
 * `$name$…$name$` with a name of letters, digits and `_` (chdb 3.4 reads `$a b$` differently, so
 * only this form is taken). Any other `$` outside a name is refused rather than guessed at.
 */
function heredocEnd(sql: string, start: number): number {
  const tag = /^\$\w*\$/.exec(sql.slice(start))?.[0];
  const close = tag === undefined ? -1 : sql.indexOf(tag, start + tag.length);
  if (tag === undefined || close < 0) {
    throw refused(`'$' at offset ${start} is refused: it may only open a $name$…$name$ string`);
  }
  return close + tag.length;
}

/** A `.` after a name, a bracket or a number is a qualifier or tuple access; else it starts a number. */
function dotToken(sql: string, start: number, prev: SqlToken | undefined): SqlToken {
  const afterValue =
    prev !== undefined &&
    (prev.text === ")" ||
      prev.text === "]" ||
      prev.kind === "word" ||
      prev.kind === "quoted" ||
      prev.kind === "number");
  if (start > 0 && (!isDigit(sql.charAt(start + 1)) || afterValue)) {
    return { kind: "punct", text: ".", start, end: start + 1 };
  }
  let pos = digitsEnd(sql, start + 1, false, true);
  pos = exponentEnd(sql, pos, false);
  return { kind: "number", text: sql.slice(start, pos), start, end: pos };
}

/** Lexer.cpp's number rule; letters right after a number make it one name (`1abc`) or an error. */
function numberToken(sql: string, start: number, prev: SqlToken | undefined): SqlToken {
  let pos: number;
  if (prev?.text === ".") {
    // Tuple access `x.1.2` is x . 1 . 2, not x . 1.2
    pos = digitsEnd(sql, start + 1, false, false);
  } else {
    let hex = false;
    let blockStart = false;
    pos = start + 1;
    const prefix = sql.charAt(start + 1).toLowerCase();
    const third = sql.charAt(start + 2);
    if (sql.charAt(start) === "0" && start + 2 < sql.length && (prefix === "x" || prefix === "b")) {
      const valid = prefix === "x" ? isHexDigit(third) : third === "0" || third === "1";
      if (valid) {
        hex = prefix === "x";
        blockStart = true;
        pos = start + 2;
      }
    }
    pos = digitsEnd(sql, pos, hex, blockStart);
    if (sql.charAt(pos) === ".") pos = digitsEnd(sql, pos + 1, hex, true);
    pos = exponentEnd(sql, pos, hex);
  }
  if (pos < sql.length && isWordChar(sql.charAt(pos))) {
    return { kind: "word", text: sql.slice(start, skip(sql, pos, isWordChar)), start, end: skip(sql, pos, isWordChar) };
  }
  return { kind: "number", text: sql.slice(start, pos), start, end: pos };
}

function exponentEnd(sql: string, pos: number, hex: boolean): number {
  const e = sql.charAt(pos).toLowerCase();
  if (pos + 1 >= sql.length || e !== (hex ? "p" : "e")) return pos;
  let end = pos + 1;
  if (end + 1 < sql.length && (sql.charAt(end) === "-" || sql.charAt(end) === "+")) end += 1;
  return digitsEnd(sql, end, false, true);
}

/** Digits with `_` separators between them (`1_000`), as Lexer.cpp's isNumberSeparator. */
function digitsEnd(sql: string, from: number, hex: boolean, blockStart: boolean): number {
  const digit = hex ? isHexDigit : isDigit;
  let pos = from;
  let atStart = blockStart;
  while (pos < sql.length) {
    const c = sql.charAt(pos);
    const separator = c === "_" && !atStart && digit(sql.charAt(pos + 1));
    if (!digit(c) && !separator) break;
    pos += 1;
    atStart = false;
  }
  return pos;
}

function skip(sql: string, from: number, keep: (c: string) => boolean): number {
  let pos = from;
  while (pos < sql.length && keep(sql.charAt(pos))) pos += 1;
  return pos;
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

function isHexDigit(c: string): boolean {
  return isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");
}

function isWordChar(c: string): boolean {
  return isDigit(c) || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}
