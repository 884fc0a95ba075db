import { type AlertLevel, LEVEL_COLOURS } from "@lifeline/contracts";
import { isPast, type LevelLadder, limitOf } from "./level-ladder.ts";

/** Short enough for a notification, exact enough to recognise the value: 182.4, 0.07, 1235. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 1_000) return String(Math.round(value));
  return String(Number(value.toPrecision(4)));
}

export function quantity(value: number, unit: string): string {
  return unit === "" ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

/** "III yellow". */
export function levelLabel(level: AlertLevel): string {
  return `${level} ${LEVEL_COLOURS[level]}`;
}

const UNITS: readonly [string, number][] = [
  ["day", 86_400_000],
  ["h", 3_600_000],
  ["min", 60_000],
  ["s", 1_000],
  ["ms", 1],
];

/** "1 h 5 min", "15 min", "1 day". */
export function durationText(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [name, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(n > 1 && name === "day" ? `${n} days` : `${n} ${name}`);
    rest -= n * size;
  }
  return parts.length === 0 ? "0 s" : parts.join(" ");
}

/** The adjective of a window length: "15-min", "1-h", "24-h". */
export function spanLabel(ms: number): string {
  const [name, size] = UNITS.find(([name, size]) => name !== "day" && ms % size === 0) ?? ["ms", 1];
  return `${ms / size}-${name}`;
}

/** "per min", "per 10 min", "per h". */
export function perText(ms: number): string {
  const text = durationText(ms);
  return `per ${text.startsWith("1 ") ? text.slice(2) : text}`;
}

export const AGGREGATE_NAMES: Readonly<Record<string, string>> = { avg: "average", max: "maximum", min: "minimum" };

/**
 * How a measure stands against the ladder at a level: "above 150 (III yellow)", "within 10 of 150
 * (IV blue)" while held by hysteresis, "no longer above 150 (cleared)"; a speed is "faster than".
 */
export function verdict(
  ladder: LevelLadder,
  level: AlertLevel | null,
  value: number,
  hysteresis: number,
  relation = ladder.sign > 0 ? "above" : "below",
): string {
  const limit = formatNumber(limitOf(ladder, level));
  if (level === null) return `no longer ${relation} ${limit} (cleared)`;
  if (isPast(ladder, level, value)) return `${relation} ${limit} (${levelLabel(level)})`;
  return `within ${formatNumber(hysteresis)} of ${limit} (${levelLabel(level)})`;
}

export function isoTime(ts: number): string {
  return new Date(ts).toISOString();
}
