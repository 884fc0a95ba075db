/**
 * When to write a state snapshot: at most every `everyMs`, and never so often that saving takes
 * more than `budget` of the time — a save that took c ms waits at least c / budget ms. Why: the
 * rule engine's state file also holds the models' windows, and for a thousand devices with a
 * 60-row, 3-input model that is ~5.4 MB of JSON that took 60–150 ms to snapshot and write
 * (measured); every 2 s that would be 3–7 % of a core spent, and the event loop stalled each time.
 * A longer interval only means more messages evaluated again after a crash (the state holds the
 * stream position it covers).
 */
export class SaveSchedule {
  readonly #everyMs: number;
  readonly #budget: number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #lastCostMs = 0;

  constructor(everyMs: number, budget = 0.02) {
    this.#everyMs = everyMs;
    this.#budget = budget;
  }

  /** Whether a save is due at `now` (ms, any monotonic clock). */
  due(now: number): boolean {
    return now - this.#lastAt >= Math.max(this.#everyMs, this.#lastCostMs / this.#budget);
  }

  /** Records a save that ran from `startedAt` to `endedAt`. */
  saved(startedAt: number, endedAt: number): void {
    this.#lastAt = startedAt;
    this.#lastCostMs = endedAt - startedAt;
  }
}
