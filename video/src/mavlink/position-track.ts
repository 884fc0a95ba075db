import type { PositionFix } from "./drone-telemetry.ts";

/** Where a frame was captured: what an alert carries as "where it was seen". */
export interface FramePosition {
  readonly lat: number;
  readonly lon: number;
  /** Metres above mean sea level. */
  readonly alt: number;
}

export interface PositionTrackOptions {
  /** Fixes older than this behind the newest one are dropped; default 10 minutes. */
  windowMs?: number;
  /**
   * The longest stretch `at()` will bridge: two fixes further apart than this are not
   * interpolated between (the link dropped), and a time further than this from the nearest fix
   * gets no position. Default 2000 ms.
   */
  maxGapMs?: number;
}

/**
 * The recent positions of each drone, so that a video frame can be tagged with where the drone
 * was when the frame was captured, although fixes (a few Hz) and frames (25 fps) never coincide.
 */
export class PositionTrack {
  readonly #windowMs: number;
  readonly #maxGapMs: number;
  readonly #fixes = new Map<number, PositionFix[]>();

  constructor(options: PositionTrackOptions = {}) {
    this.#windowMs = options.windowMs ?? 10 * 60_000;
    this.#maxGapMs = options.maxGapMs ?? 2000;
  }

  /** Adds a fix; fixes may arrive out of order (UDP), one at the same time replaces the earlier. */
  add(systemId: number, fix: PositionFix): void {
    let fixes = this.#fixes.get(systemId);
    if (fixes === undefined) {
      fixes = [];
      this.#fixes.set(systemId, fixes);
    }
    const i = firstAtOrAfter(fixes, fix.ts);
    if (fixes[i]?.ts === fix.ts) fixes[i] = fix;
    else fixes.splice(i, 0, fix);
    const newest = fixes[fixes.length - 1]?.ts ?? fix.ts;
    const keepFrom = firstAtOrAfter(fixes, newest - this.#windowMs);
    if (keepFrom > 0) fixes.splice(0, keepFrom);
  }

  /**
   * The position at `ts`: linear between the two fixes around it, or along the last (first) two
   * fixes when `ts` is at most `maxGapMs` past the newest (before the oldest) one. Undefined
   * when no fix is close enough.
   */
  at(systemId: number, ts: number): FramePosition | undefined {
    const fixes = this.#fixes.get(systemId) ?? [];
    const i = firstAtOrAfter(fixes, ts);
    const after = fixes[i];
    const before = fixes[i - 1];
    if (after?.ts === ts) return positionOf(after);
    if (before !== undefined && after !== undefined) {
      if (after.ts - before.ts <= this.#maxGapMs) return interpolate(before, after, ts);
      if (ts - before.ts <= this.#maxGapMs) return this.#extrapolate(fixes[i - 2], before, ts);
      if (after.ts - ts <= this.#maxGapMs) return this.#extrapolate(fixes[i + 1], after, ts);
      return undefined;
    }
    if (before !== undefined && ts - before.ts <= this.#maxGapMs) return this.#extrapolate(fixes[i - 2], before, ts);
    if (after !== undefined && after.ts - ts <= this.#maxGapMs) return this.#extrapolate(fixes[i + 1], after, ts);
    return undefined;
  }

  /** Along the line through `neighbour` and `nearest`; holds `nearest` when there is no neighbour within `maxGapMs`. */
  #extrapolate(neighbour: PositionFix | undefined, nearest: PositionFix, ts: number): FramePosition {
    if (neighbour === undefined || Math.abs(nearest.ts - neighbour.ts) > this.#maxGapMs) return positionOf(nearest);
    const [a, b] = neighbour.ts < nearest.ts ? [neighbour, nearest] : [nearest, neighbour];
    return interpolate(a, b, ts);
  }

  /** Fixes held for a drone, oldest first. */
  fixes(systemId: number): readonly PositionFix[] {
    return this.#fixes.get(systemId) ?? [];
  }

  /** Forgets a drone. */
  clear(systemId: number): void {
    this.#fixes.delete(systemId);
  }
}

function positionOf(fix: PositionFix): FramePosition {
  return { lat: fix.lat, lon: fix.lon, alt: fix.alt };
}

function interpolate(a: PositionFix, b: PositionFix, ts: number): FramePosition {
  const f = (ts - a.ts) / (b.ts - a.ts);
  // Across the antimeridian the short way round is through ±180, not through 0.
  let dLon = b.lon - a.lon;
  if (dLon > 180) dLon -= 360;
  else if (dLon < -180) dLon += 360;
  let lon = a.lon + f * dLon;
  if (lon > 180) lon -= 360;
  else if (lon < -180) lon += 360;
  return { lat: a.lat + f * (b.lat - a.lat), lon, alt: a.alt + f * (b.alt - a.alt) };
}

/** Index of the first fix at or after `ts` (fixes are sorted by time). */
function firstAtOrAfter(fixes: readonly PositionFix[], ts: number): number {
  let lo = 0;
  let hi = fixes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((fixes[mid]?.ts ?? Number.POSITIVE_INFINITY) < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
