import type { z } from "zod";
import { closestMatch } from "./did-you-mean.ts";
import { describeValue, type Finding } from "./problem.ts";
import { schemaAt, unionOptionFor, valueAt } from "./schema-walk.ts";

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  null: "null",
};

const SECRET_KEY = /pass(word|wd)?|token|secret|credential|private.?key/i;

/**
 * zod issues as findings a field engineer can act on: the key path, what was expected, what was
 * found (read from the data, since zod's messages do not quote it), and a hint where one helps.
 * `schema` and `root` are what was parsed; paths stay relative to `root`.
 */
export function findingsFromIssues(issues: readonly Issue[], schema: z.ZodType, root: unknown): Finding[] {
  return issues.flatMap((issue) => findingsFromIssue(issue, [], schema, root));
}

function findingsFromIssue(issue: Issue, prefix: PropertyKey[], schema: z.ZodType, root: unknown): Finding[] {
  const path = [...prefix, ...issue.path];
  const found = valueAt(root, path);
  const error = (code: string, message: string, hint?: string): Finding[] => [
    hint === undefined ? { severity: "error", code, path, message } : { severity: "error", code, path, message, hint },
  ];
  switch (issue.code) {
    case "invalid_type": {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      const code = found === undefined ? "PROFILE_MISSING_KEY" : "PROFILE_INVALID_VALUE";
      return error(code, `expected ${expected}, found ${describeValue(found)}`);
    }
    case "unrecognized_keys":
      return issue.keys.map((key) => unknownKey([...path, key], key, schemaAt(schema, path, root)));
    case "invalid_value": {
      const options = issue.values.map((v) => JSON.stringify(v));
      const expected = options.length === 1 ? options[0] : `one of ${options.join(", ")}`;
      const guess = typeof found === "string" ? closestMatch(found, issue.values.map(String)) : undefined;
      return error(
        "PROFILE_INVALID_VALUE",
        `expected ${expected}, found ${describeValue(found)}`,
        guess === undefined ? undefined : `did you mean "${guess}"?`,
      );
    }
    case "too_small":
    case "too_big":
      return error("PROFILE_INVALID_VALUE", `${boundText(issue)}, found ${describeFound(issue.origin, found)}`);
    case "invalid_format": {
      const expected = issue.message.startsWith("expected")
        ? issue.message
        : `expected a string matching ${issue.pattern ?? issue.format}`;
      return error("PROFILE_INVALID_VALUE", `${expected}, found ${describeValue(found)}`);
    }
    case "invalid_union":
      return unionFindings(issue, path, schema, root, found);
    case "invalid_key": {
      const key = path.at(-1);
      const inner = issue.issues[0];
      const expected = inner?.message.startsWith("expected") ? inner.message : "expected another key";
      return error("PROFILE_INVALID_VALUE", `${expected}, found key ${describeValue(key)}`);
    }
    case "not_multiple_of":
      return error("PROFILE_INVALID_VALUE", `expected a multiple of ${issue.divisor}, found ${describeValue(found)}`);
    case "custom": {
      const message =
        issue.message.startsWith("expected") && !issue.message.includes("found")
          ? `${issue.message}, found ${describeValue(found)}`
          : issue.message;
      return error("PROFILE_INVALID", message);
    }
    default:
      return error("PROFILE_INVALID_VALUE", issue.message);
  }
}

function boundText(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  if (issue.message.startsWith("expected")) return issue.message;
  const small = issue.code === "too_small";
  const bound = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive !== false;
  const relation = small ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
  const n = Number(bound);
  if (issue.origin === "string") return `expected ${relation} ${n} character${n === 1 ? "" : "s"}`;
  if (issue.origin === "array") return `expected ${relation} ${n} item${n === 1 ? "" : "s"}`;
  return `expected ${relation} ${n}`;
}

function describeFound(origin: string, found: unknown): string {
  if (origin === "array" && Array.isArray(found)) return `${found.length} item${found.length === 1 ? "" : "s"}`;
  if (origin === "string" && typeof found === "string" && found.length > 40) return `${found.length} characters`;
  return describeValue(found);
}

function unionFindings(
  issue: z.core.$ZodIssueInvalidUnion,
  path: PropertyKey[],
  schema: z.ZodType,
  root: unknown,
  found: unknown,
): Finding[] {
  const discriminator = (issue as { discriminator?: string }).discriminator;
  const options = (issue as { options?: unknown[] }).options;
  if (discriminator !== undefined && options !== undefined) {
    const names = options.map((o) => JSON.stringify(o)).join(", ");
    const guess = typeof found === "string" ? closestMatch(found, options.map(String)) : undefined;
    const finding: Finding = {
      severity: "error",
      code: found === undefined ? "PROFILE_MISSING_KEY" : "PROFILE_INVALID_VALUE",
      path,
      message: `expected ${discriminator} one of ${names}, found ${describeValue(found)}`,
    };
    if (guess !== undefined) finding.hint = `did you mean "${guess}"?`;
    return [finding];
  }
  const branches = issue.errors;
  // Every option refused the value's type outright: say which types would do.
  const typeOnly = branches.every((b) => b.length === 1 && b[0]?.code === "invalid_type" && b[0].path.length === 0);
  if (typeOnly) {
    const expected = branches.map((b) => {
      const only = b[0] as z.core.$ZodIssueInvalidType;
      return TYPE_NAMES[only.expected] ?? only.expected;
    });
    return [
      {
        severity: "error",
        code: found === undefined ? "PROFILE_MISSING_KEY" : "PROFILE_INVALID_VALUE",
        path,
        message: `expected ${[...new Set(expected)].join(" or ")}, found ${describeValue(found)}`,
      },
    ];
  }
  const unionSchema = schemaAtUnion(schema, path, root);
  const chosen = unionSchema === undefined ? undefined : unionOptionFor(unionSchema, found);
  const branch = branches[chosen?.index ?? 0] ?? [];
  return branch.flatMap((inner) => findingsFromIssue(inner, path, schema, root));
}

/** The union schema at `path` itself (schemaAt resolves unions by the data, which is not wanted here). */
function schemaAtUnion(schema: z.ZodType, path: PropertyKey[], root: unknown): z.ZodType | undefined {
  if (path.length === 0) return schema;
  const parent = schemaAt(schema, path.slice(0, -1), root);
  if (parent === undefined) return undefined;
  const def = (parent as unknown as { _zod: { def: { shape?: Record<string, z.ZodType>; element?: z.ZodType } } })._zod
    .def;
  return def.shape?.[String(path.at(-1))] ?? def.element;
}

function unknownKey(path: PropertyKey[], key: string, parent: z.ZodType | undefined): Finding {
  const shape =
    parent === undefined ? undefined : (parent as unknown as { _zod: { def: { shape?: object } } })._zod.def.shape;
  const allowed = shape === undefined ? [] : Object.keys(shape);
  if (SECRET_KEY.test(key)) {
    const byReference = allowed.find((k) => /Ref$|Env$/.test(k));
    if (byReference !== undefined) {
      const example = byReference.endsWith("Env")
        ? `${byReference}: NAME_OF_THE_VARIABLE`
        : `${byReference}: env:NAME or ${byReference}: file:/path`;
      return {
        severity: "error",
        code: "PROFILE_INLINE_SECRET",
        path,
        message: `expected no secret in the profile, found ${JSON.stringify(key)} written inline`,
        hint: `give it by reference, e.g. ${example}`,
      };
    }
  }
  const guess = closestMatch(key, allowed);
  let hint: string | undefined;
  if (guess !== undefined) hint = `did you mean "${guess}"?`;
  else if (key === "type" && allowed.includes("template")) hint = "the template sets the type";
  else if (allowed.length > 0) hint = `known keys: ${allowed.join(", ")}`;
  const finding: Finding = {
    severity: "error",
    code: "PROFILE_UNKNOWN_KEY",
    path,
    message: `unknown key ${JSON.stringify(key)}`,
  };
  if (hint !== undefined) finding.hint = hint;
  return finding;
}
