/**
 * Work in lanes by key: the items of one key are worked one after another, in the order pushed;
 * items of different keys run concurrently (what bounds them is up to `work`). A lane exists while
 * it has items. `work` must not throw; if it does, `onError` hears of it and the lane goes on.
 */
export class KeyedLanes<T> {
  readonly #work: (item: T) => Promise<void>;
  readonly #onError: (error: unknown, item: T) => void;
  readonly #lanes = new Map<string, T[]>();
  #items = 0;
  #idle: Array<() => void> = [];

  constructor(work: (item: T) => Promise<void>, onError: (error: unknown, item: T) => void) {
    this.#work = work;
    this.#onError = onError;
  }

  push(key: string, item: T): void {
    this.#items++;
    const lane = this.#lanes.get(key);
    if (lane !== undefined) {
      lane.push(item);
      return;
    }
    const fresh = [item];
    this.#lanes.set(key, fresh);
    void this.#run(key, fresh);
  }

  /** Items pushed and not yet worked (those being worked included). */
  get size(): number {
    return this.#items;
  }

  get lanes(): number {
    return this.#lanes.size;
  }

  /** Resolves when every lane has run empty. */
  idle(): Promise<void> {
    if (this.#items === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async #run(key: string, lane: T[]): Promise<void> {
    while (lane.length > 0) {
      const item = lane[0] as T;
      try {
        await this.#work(item);
      } catch (error) {
        this.#onError(error, item);
      }
      lane.shift();
      this.#items--;
    }
    this.#lanes.delete(key);
    if (this.#items === 0) {
      const waiting = this.#idle;
      this.#idle = [];
      for (const resolve of waiting) resolve();
    }
  }
}
