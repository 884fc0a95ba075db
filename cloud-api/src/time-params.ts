import { z } from "zod";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time as epoch milliseconds (`1700000000000`) or ISO 8601 (`2026-01-05T08:00:00Z`). */
export const instantParam = z.string().transform((text, ctx) => {
  if (/^-?\d{1,16}$/.test(text)) return Number(text);
  if (/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const ms = Date.parse(text);
    if (!Number.isNaN(ms)) return ms;
  }
  ctx.addIssue({
    code: "custom",
    message: "expected epoch milliseconds or an ISO 8601 time such as 2026-01-05T08:00:00Z",
  });
  return z.NEVER;
});

/** A duration such as `500ms`, `10s`, `1m`, `1h`, `1d`, or plain milliseconds. */
export const durationParam = z.string().transform((text, ctx) => {
  const match = /^(\d{1,10})(ms|s|m|h|d)?$/.exec(text);
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] ?? "ms"] ?? 1) : Number.NaN;
  if (!Number.isFinite(ms) || ms < 1 || ms > 366 * 86_400_000) {
    ctx.addIssue({ code: "custom", message: "expected a duration from 1ms to 366d, such as 10s, 1m, 1h, 1d" });
    return z.NEVER;
  }
  return ms;
});
