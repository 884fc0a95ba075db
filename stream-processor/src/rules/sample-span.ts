/**
 * The recent readings of one series that a rate or moving aggregate needs, as plain JSON (the
 * engine's snapshot stores it as is). Timestamps increase: the engine drops older readings.
 */
export interface SampleSpan {
  ts: number[];
  v: number[];
}

export function emptySpan(): SampleSpan {
  return { ts: [], v: [] };
}

/** Drops the samples at or before `cut`: what a sliding window (cut, latest] needs. */
export function dropThrough(span: SampleSpan, cut: number): void {
  let n = 0;
  while (n < span.ts.length && (span.ts[n] as number) <= cut) n++;
  if (n > 0) {
    span.ts.splice(0, n);
    span.v.splice(0, n);
  }
}

/** Drops what a rate over (cut, latest] no longer needs: all but the last sample at or before `cut`. */
export function dropBeforeBase(span: SampleSpan, cut: number): void {
  let n = 0;
  while (n + 1 < span.ts.length && (span.ts[n + 1] as number) <= cut) n++;
  if (n > 0) {
    span.ts.splice(0, n);
    span.v.splice(0, n);
  }
}

export interface Rate {
  /** Change per `per` ms; positive for a rise. */
  rate: number;
  from: number;
  to: number;
  fromValue: number;
  toValue: number;
}

/**
 * (latest − value at or before latest − overMs) / elapsed × per; undefined until the span reaches
 * that far back (a series younger than overMs has no rate yet).
 */
export function rateOf(span: SampleSpan, overMs: number, per: number): Rate | undefined {
  const last = span.ts.length - 1;
  if (last < 1) return undefined;
  const to = span.ts[last] as number;
  const cut = to - overMs;
  let base = -1;
  for (let i = 0; i < last && (span.ts[i] as number) <= cut; i++) base = i;
  if (base < 0) return undefined;
  const from = span.ts[base] as number;
  const fromValue = span.v[base] as number;
  const toValue = span.v[last] as number;
  return { rate: ((toValue - fromValue) / (to - from)) * per, from, to, fromValue, toValue };
}

/** The average, maximum or minimum of the samples in (latest − overMs, latest], with their count. */
export function aggregateOf(
  span: SampleSpan,
  overMs: number,
  aggregate: "avg" | "max" | "min",
): { value: number; n: number } | undefined {
  const last = span.ts.length - 1;
  if (last < 0) return undefined;
  const cut = (span.ts[last] as number) - overMs;
  let first = last;
  while (first > 0 && (span.ts[first - 1] as number) > cut) first--;
  // Oldest first, as a running sum over a clock window adds them.
  let acc = aggregate === "avg" ? 0 : (span.v[first] as number);
  for (let i = first; i <= last; i++) {
    const v = span.v[i] as number;
    if (aggregate === "avg") acc += v;
    else if (aggregate === "max" ? v > acc : v < acc) acc = v;
  }
  const n = last - first + 1;
  return { value: aggregate === "avg" ? acc / n : acc, n };
}
