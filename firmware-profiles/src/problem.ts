import type { SourcePosition } from "./yaml-source.ts";

export type Severity = "error" | "warning";

/**
 * One mistake in a profile, located and explained: what was expected, what was found, and where
 * possible how to fix it. `code` is stable (for tools and the CLI's JSON output); the text is for people.
 */
export interface Problem {
  severity: Severity;
  code: string;
  file: string;
  line: number;
  column: number;
  /** Key path as written in the file, e.g. `devices[2].points[4].scale`; "" for the file as a whole. */
  path: string;
  message: string;
  hint?: string;
}

/** A problem found by a check before it is located in a file: a key path instead of a position. */
export interface Finding {
  severity: Severity;
  code: string;
  path: readonly PropertyKey[];
  message: string;
  hint?: string;
}

/** `devices[2].points[4].scale`; keys that are not plain words are quoted: `factors["a.b"]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(String(key))) out += out === "" ? String(key) : `.${String(key)}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

export function locate(finding: Finding, file: string, position: SourcePosition): Problem {
  const problem: Problem = {
    severity: finding.severity,
    code: finding.code,
    file,
    line: position.line,
    column: position.column,
    path: formatKeyPath(finding.path),
    message: finding.message,
  };
  if (finding.hint !== undefined) problem.hint = finding.hint;
  return problem;
}

/** `file:line:col: error: devices[2].points[4].scale: expected a number, found "0.1x" (hint: …)` */
export function formatProblem(p: Problem): string {
  const path = p.path === "" ? "" : `${p.path}: `;
  const hint = p.hint === undefined ? "" : ` (hint: ${p.hint})`;
  return `${p.file}:${p.line}:${p.column}: ${p.severity}: ${path}${p.message}${hint}`;
}

/** Problems in file order; at one place, errors before warnings, then as found. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const rank = (p: Problem) => (p.severity === "error" ? 0 : 1);
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.line - b.p.line || a.p.column - b.p.column || rank(a.p) - rank(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

/** How a value in the file is named in a message: strings quoted, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}
