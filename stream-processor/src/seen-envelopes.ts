/**
 * The envelopes this processor has stored, per source (site, gateway, boot id), as sorted disjoint
 * ranges of sequence numbers: a source that sends 0, 1, 2, … costs one range however long it
 * runs. It recognises a copy of an envelope stored earlier in this process's life — a pack has
 * no per-envelope message id for JetStream to drop copies by — without asking ClickHouse.
 * Sources quiet for longer than `forgetAfterMs` are forgotten (past JetStream's duplicate window
 * the processor looks old readings up anyway).
 */
export class SeenEnvelopes {
  readonly #sources = new Map<string, { ranges: number[]; touched: number; forgotUpTo: number }>();
  readonly #forgetAfterMs: number;
  readonly #maxRangesPerSource: number;
  #lastSweep: number;

  constructor(options: { forgetAfterMs: number; maxRangesPerSource?: number; now?: number }) {
    this.#forgetAfterMs = options.forgetAfterMs;
    this.#maxRangesPerSource = options.maxRangesPerSource ?? 4_096;
    this.#lastSweep = options.now ?? Date.now();
  }

  get sources(): number {
    return this.#sources.size;
  }

  has(source: string, seq: number): boolean {
    const ranges = this.#sources.get(source)?.ranges;
    if (ranges === undefined) return false;
    const i = findRange(ranges, seq);
    return i >= 0 && seq <= (ranges[i + 1] as number);
  }

  /** True when `seq` lies in the part of this source's ranges that was dropped (too many holes): ask ClickHouse. */
  forgot(source: string, seq: number): boolean {
    const entry = this.#sources.get(source);
    return entry !== undefined && seq <= entry.forgotUpTo;
  }

  add(source: string, seq: number, now: number): void {
    if (now - this.#lastSweep > this.#forgetAfterMs / 4) this.#sweep(now);
    let entry = this.#sources.get(source);
    if (entry === undefined) {
      entry = { ranges: [], touched: now, forgotUpTo: -1 };
      this.#sources.set(source, entry);
    }
    entry.touched = now;
    const r = entry.ranges;
    const n = r.length;
    // The common case: the next sequence of a source that counts up.
    if (n > 0 && r[n - 1] === seq - 1) {
      r[n - 1] = seq;
      return;
    }
    const i = findRange(r, seq); // index of the range starting at or before seq, or -2
    if (i >= 0 && seq <= (r[i + 1] as number)) return;
    const joinsLeft = i >= 0 && r[i + 1] === seq - 1;
    const j = i + 2; // the range after
    const joinsRight = j < n && r[j] === seq + 1;
    if (joinsLeft && joinsRight) r.splice(i + 1, 2);
    else if (joinsLeft) r[i + 1] = seq;
    else if (joinsRight) r[j] = seq;
    else r.splice(j, 0, seq, seq);
    // A source with holes everywhere keeps its newest ranges; below them `forgot` says so.
    if (r.length > this.#maxRangesPerSource * 2) {
      const dropped = r.splice(0, r.length - this.#maxRangesPerSource * 2);
      entry.forgotUpTo = Math.max(entry.forgotUpTo, dropped[dropped.length - 1] as number);
    }
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [source, entry] of this.#sources) {
      if (now - entry.touched > this.#forgetAfterMs) this.#sources.delete(source);
    }
  }
}

/** Index (even) of the last range whose start is ≤ seq, or -2 when there is none. */
function findRange(ranges: number[], seq: number): number {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  let found = -2;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((ranges[mid * 2] as number) <= seq) {
      found = mid * 2;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
