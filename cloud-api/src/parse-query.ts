import type { z } from "zod";
import { ApiError } from "./api-error.ts";

/** Parses a query string with its schema; the first problem becomes a 400 naming the parameter. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const parsed = schema.safeParse(query);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const parameter = issue?.path.length ? String(issue.path[0]) : unknownKey(issue);
  throw new ApiError("API_BAD_PARAMETER", `${parameter}: ${issue?.message ?? "invalid"}`, parameter);
}

function unknownKey(issue: z.core.$ZodIssue | undefined): string {
  if (issue?.code === "unrecognized_keys") return issue.keys[0] ?? "(query)";
  return "(query)";
}
