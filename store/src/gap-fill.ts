import type { Aggregate } from "./rollup-plan.ts";
import type { BucketPoint } from "./series-query.ts";

/**
 * What an empty bucket becomes: left out (`none`), a point with null aggregates (`null`), the
 * previous bucket's values (`previous`), or values on the straight line between the buckets either
 * side (`linear`). Filled points have count 0, so they can always be told from measured ones; no
 * value is made up before the first or (linear) after the last measured bucket.
 */
export const FILL_MODES = ["none", "null", "previous", "linear"] as const;
export type FillMode = (typeof FILL_MODES)[number];

/** A filled grid is built in memory: this many buckets per series at most (the API's point limit). */
export const MAX_FILLED_BUCKETS = 100_000;

/** How many buckets of the step's grid [from, to) touches (see {@link firstBucket}). */
export function bucketCount(from: number, to: number, stepMs: number, offsetMs = 0): number {
  return Math.ceil((to - firstBucket(from, stepMs, offsetMs)) / stepMs);
}

/** The start of the bucket holding `from`: buckets start where `t - offsetMs` is a multiple of the step. */
export function firstBucket(from: number, stepMs: number, offsetMs = 0): number {
  return Math.floor((from - offsetMs) / stepMs) * stepMs + offsetMs;
}

/** Every bucket of [from, to) on the step's grid, measured or filled. */
export function fillGaps(
  points: readonly BucketPoint[],
  range: { from: number; to: number; aggs: readonly Aggregate[]; bucketOffsetMs?: number | undefined },
  stepMs: number,
  mode: FillMode,
): BucketPoint[] {
  if (mode === "none") return [...points];
  const offset = range.bucketOffsetMs ?? 0;
  const buckets = bucketCount(range.from, range.to, stepMs, offset);
  if (buckets > MAX_FILLED_BUCKETS) {
    throw new RangeError(`fill over ${buckets} buckets: more than ${MAX_FILLED_BUCKETS}; use a larger step`);
  }
  const aggs = range.aggs.filter((a) => a !== "count");
  const out: BucketPoint[] = [];
  let i = 0;
  let previous: BucketPoint | undefined;
  for (let ts = firstBucket(range.from, stepMs, offset); ts < range.to; ts += stepMs) {
    const measured = points[i];
    if (measured !== undefined && measured.ts === ts) {
      out.push(measured);
      previous = measured;
      i++;
      continue;
    }
    const p: BucketPoint = { ts, count: 0 };
    for (const a of aggs) p[a] = valueAt(a, ts, mode, previous, measured);
    out.push(p);
  }
  return out;
}

function valueAt(
  a: Aggregate,
  ts: number,
  mode: FillMode,
  before: BucketPoint | undefined,
  after: BucketPoint | undefined,
): number | null {
  const v0 = before?.[a];
  if (mode === "null" || before === undefined || v0 === undefined || v0 === null) return null;
  if (mode === "previous") return v0;
  const v1 = after?.[a];
  if (after === undefined || v1 === undefined || v1 === null) return null;
  return v0 + ((v1 - v0) * (ts - before.ts)) / (after.ts - before.ts);
}
