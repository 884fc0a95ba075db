import type { SeriesSelector } from "@lifeline/store";
import { z } from "zod";
import { ApiError } from "./api-error.ts";
import { zoneOffsetMs } from "./time-zone.ts";

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

/** `limit=N`: a whole number from 1 to `max`. */
export function limitParam(max: number) {
  return z.string().regex(/^\d+$/, "expected a whole number").transform(Number).pipe(z.number().int().min(1).max(max));
}

/** The rule every time-range query shares: `from` before `to`, reported on `from`. */
export function checkFromBeforeTo(
  p: { from?: number | undefined; to?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if (p.from !== undefined && p.to !== undefined && p.from >= p.to) {
    ctx.addIssue({ code: "custom", path: ["from"], message: "expected from to be before to" });
  }
}

/** `a,b,c`: a comma-separated list of up to `max` distinct items, each checked by `item`. */
export function listParam<T extends z.ZodType<unknown, string>>(item: T, max: number) {
  return z
    .string()
    .transform((text) => [...new Set(text.split(","))])
    .pipe(z.array(item).min(1).max(max, `expected at most ${max} items`));
}

/** The series a request names (`site`, `device=a,b`, `metric=x,y`) over [from, to), as the store takes them. */
export function selectorOf(
  p: {
    site?: string | undefined;
    device?: string[] | undefined;
    metric?: string[] | undefined;
    tz?: string | undefined;
  },
  from: number,
  to: number,
): SeriesSelector {
  const selector = { site: p.site, devices: p.device, metrics: p.metric, from, to };
  // A zone at +08:00 starts its day 8 h before UTC's: buckets start where t + 8 h is a multiple of the step.
  return p.tz === undefined ? selector : { ...selector, bucketOffsetMs: -zoneOffsetMs(p.tz, from, to) };
}
