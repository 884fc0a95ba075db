/**
 * A window aligned to the local clock (HJ 212 / HJ 663 period values: a 15-min or hourly value
 * covers [start, end) of the station's local time), kept as a running aggregate — never the samples.
 */
export interface ClockWindow {
  start: number;
  n: number;
  /** Running sum (avg), maximum or minimum. */
  acc: number;
  unit: string;
}

export type WindowAggregate = "avg" | "max" | "min";

/** "+08:00" → 28 800 000. */
export function utcOffsetMs(offset: string): number {
  const sign = offset.startsWith("-") ? -1 : 1;
  const [hours, minutes] = offset.slice(1).split(":").map(Number);
  return sign * ((hours ?? 0) * 3_600_000 + (minutes ?? 0) * 60_000);
}

/** Start (UTC ms) of the window of length `windowMs` that holds `ts`, windows tiling the local day. */
export function windowStartOf(ts: number, windowMs: number, offsetMs: number): number {
  return Math.floor((ts + offsetMs) / windowMs) * windowMs - offsetMs;
}

export function openWindow(start: number, unit: string): ClockWindow {
  return { start, n: 0, acc: 0, unit };
}

export function addToWindow(window: ClockWindow, value: number, unit: string, aggregate: WindowAggregate): void {
  if (window.n === 0) window.acc = value;
  else if (aggregate === "avg") window.acc += value;
  else if (aggregate === "max" ? value > window.acc : value < window.acc) window.acc = value;
  window.n++;
  window.unit = unit;
}

export function windowValue(window: ClockWindow, aggregate: WindowAggregate): number {
  return aggregate === "avg" ? window.acc / window.n : window.acc;
}
