// chdb's own whitelist (chdb/dist/serialize.js validateIdentifier): names are written into the INSERT.
const IDENTIFIER = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

/** The columns, once the table and every column are plain names that can be written into SQL. */
export function checkIdentifiers(table: string, columns: readonly string[]): string[] {
  for (const name of [table, ...columns]) {
    if (!IDENTIFIER.test(name)) throw new Error(`${JSON.stringify(name)} is not a plain table or column name`);
  }
  return [...columns];
}

/**
 * A `SETTINGS` clause for an INSERT whose data is not inline, where settings cannot travel as
 * query parameters. Names must be plain; strings become quoted literals, with backslash and quote
 * escaped (ClickHouse "Syntax: String literals").
 */
export function settingsClause(settings: Record<string, string | number>): string {
  const parts = Object.entries(settings).map(([name, value]) => {
    if (!IDENTIFIER.test(name)) throw new Error(`${JSON.stringify(name)} is not a plain setting name`);
    if (typeof value === "number") {
      if (!Number.isFinite(value)) throw new Error(`setting ${name} is not a finite number`);
      return `${name} = ${value}`;
    }
    return `${name} = ${stringLiteral(value)}`;
  });
  return parts.length === 0 ? "" : `SETTINGS ${parts.join(", ")}`;
}

export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * The rows of newline-delimited text (TabSeparated, JSONEachRow): both escape a newline inside a
 * value, so every line feed ends a row; a last row without one counts too.
 */
export function lineCount(rows: Uint8Array): number {
  let lines = 0;
  let start = 0;
  for (let end = rows.indexOf(0x0a); end !== -1; end = rows.indexOf(0x0a, start)) {
    if (end > start) lines += 1;
    start = end + 1;
  }
  return start < rows.length ? lines + 1 : lines;
}
