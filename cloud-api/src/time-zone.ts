import { z } from "zod";
import { ApiError } from "./api-error.ts";

const DAY_MS = 86_400_000;

/** `tz`: `UTC`, a fixed offset (`+08:00`, `-0530`) or an IANA zone (`Asia/Shanghai`). Resolved by {@link zoneOffsetMs}. */
export const tzParam = z
  .string()
  .regex(/^[A-Za-z0-9_+\-/:]{1,64}$/, "expected UTC, an offset such as +08:00, or an IANA zone such as Asia/Shanghai")
  .describe(
    "Buckets start at this zone's midnight (for steps of a day) and on its hours: UTC (default), an offset such as +08:00, or an IANA zone such as Asia/Shanghai whose offset does not change within the range",
  );

/**
 * The zone's offset from UTC in ms (+8 h for Asia/Shanghai) over [from, to). Buckets on a zone's
 * days need one offset for the whole range: a zone that changes it inside the range (daylight
 * saving) is refused, naming the change, rather than answered with days of 23 or 25 hours
 * mislabelled as calendar days. China has kept +08:00 since 1991.
 */
export function zoneOffsetMs(tz: string, from: number, to: number): number {
  if (tz === "UTC" || tz === "Z") return 0;
  const fixed = offsetOf(tz);
  if (fixed !== undefined) {
    if (fixed.hours > 14 || fixed.minutes > 59) {
      throw new ApiError("API_BAD_PARAMETER", `tz: ${tz} is not an offset from UTC (-14:00 to +14:00)`, "tz");
    }
    return fixed.ms;
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longOffset" });
  } catch {
    throw new ApiError(
      "API_BAD_PARAMETER",
      `tz: unknown time zone ${tz}; expected UTC, an offset such as +08:00, or an IANA zone such as Asia/Shanghai`,
      "tz",
    );
  }
  // Intl names the offset "GMT+08:00", and UTC itself "GMT".
  const offsetAt = (t: number) =>
    offsetOf(
      format
        .formatToParts(t)
        .find((p) => p.type === "timeZoneName")
        ?.value.slice(3) ?? "",
    )?.ms ?? 0;
  const offset = offsetAt(from);
  // Changes last months (daylight saving): a look a day, and one at the range's last instant, finds any.
  for (let t = from; ; t = Math.min(t + DAY_MS, to - 1)) {
    const here = offsetAt(t);
    if (here !== offset) {
      throw new ApiError(
        "API_BAD_PARAMETER",
        `tz: ${tz} changes its offset from UTC within the range (${text(offset)} to ${text(here)} by ${new Date(t).toISOString()}), so its days are not all 24 hours; use a range without the change, or a fixed offset such as ${text(offset)}`,
        "tz",
      );
    }
    if (t >= to - 1) return offset;
  }
}

/** `+08:00` or `-0530`: its fields and its value in ms; undefined for any other text. */
function offsetOf(text: string): { ms: number; hours: number; minutes: number } | undefined {
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const hours = Number(m[2]);
  const minutes = Number(m[3]);
  return { ms: (m[1] === "-" ? -1 : 1) * (hours * 60 + minutes) * 60_000, hours, minutes };
}

function text(offsetMs: number): string {
  const minutes = Math.abs(offsetMs) / 60_000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `${offsetMs < 0 ? "-" : "+"}${hh}:${mm}`;
}
