import { ProfileError } from "./profile-error.ts";

/**
 * The canonical JSON text of a value, byte for byte what a signature covers:
 * - object members sorted by key in UTF-16 code-unit order (JavaScript's default sort), members
 *   whose value is undefined left out;
 * - no white space between tokens;
 * - strings and numbers as JSON.stringify writes them (ECMAScript Number::toString: 0.1, 1e+21,
 *   -0 as 0);
 * - arrays in their order.
 * For the values a profile holds (objects, arrays, strings, finite numbers, booleans, null) this
 * is the JSON Canonicalization Scheme, RFC 8785. Anything else (NaN, Infinity, bigint, Date,
 * Map, a function) is refused rather than silently changed.
 */
export function canonicalJson(value: unknown): string {
  return write(value, "");
}

function write(value: unknown, path: string): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw refuse(path, String(value));
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => (item === undefined ? "null" : write(item, `${path}[${i}]`))).join(",")}]`;
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const members = Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map(
        (key) =>
          `${JSON.stringify(key)}:${write((value as Record<string, unknown>)[key], path === "" ? key : `${path}.${key}`)}`,
      );
    return `{${members.join(",")}}`;
  }
  throw refuse(path, typeof value === "object" ? (value.constructor?.name ?? "object") : typeof value);
}

function refuse(path: string, what: string): ProfileError {
  return new ProfileError("PROFILE_CANONICAL_INVALID", `${path || "(value)"}: ${what} has no canonical JSON form`);
}
