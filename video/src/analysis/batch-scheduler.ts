import { VideoError } from "../video-error.ts";

export interface BatchSchedulerOptions<I, O> {
  /** Runs one batch; the result has one entry per item, in order. */
  run: (items: readonly I[]) => Promise<O[]>;
  /** Most items in one run (default 16). */
  maxBatch?: number;
  /** How long the first item of a partial batch waits for company (default 20 ms). */
  lingerMs?: number;
  /** Most items waiting; beyond it the oldest waiting item is refused (default 4 × maxBatch). */
  maxQueue?: number;
}

export interface BatchSchedulerStats {
  runs: number;
  items: number;
  /** Items refused because the queue was full: inference fell behind the cameras. */
  shed: number;
  /** Items whose run failed. */
  failed: number;
  /** Busy time of the runs, ms. */
  busyMs: number;
}

/** Thrown (as the rejection of `submit`) for an item shed from a full queue. */
export class ShedError extends VideoError {
  constructor() {
    super("VIDEO_FRAME_SHED", "inference is behind: the oldest waiting frame was skipped");
  }
}

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/**
 * Gathers items from many streams into batches for one model, one run at a time (an inference
 * session already uses every core). When the model falls behind, the oldest waiting frames are
 * shed — a late frame is worth less than a fresh one — and counted, never silently dropped.
 */
export class BatchScheduler<I, O> {
  readonly #o: Required<BatchSchedulerOptions<I, O>>;
  readonly #queue: Array<Waiting<I, O>> = [];
  readonly #stats: BatchSchedulerStats = { runs: 0, items: 0, shed: 0, failed: 0, busyMs: 0 };
  #running = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: BatchSchedulerOptions<I, O>) {
    const maxBatch = options.maxBatch ?? 16;
    this.#o = { maxBatch, lingerMs: 20, maxQueue: 4 * maxBatch, ...options };
  }

  stats(): BatchSchedulerStats {
    return { ...this.#stats };
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length > this.#o.maxQueue) {
        const oldest = this.#queue.shift();
        this.#stats.shed++;
        oldest?.reject(new ShedError());
      }
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#running || this.#queue.length === 0) return;
    if (this.#queue.length >= this.#o.maxBatch) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      void this.#runOnce();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.#runOnce();
    }, this.#o.lingerMs);
  }

  async #runOnce(): Promise<void> {
    if (this.#running || this.#queue.length === 0) return;
    this.#running = true;
    const batch = this.#queue.splice(0, this.#o.maxBatch);
    const started = performance.now();
    try {
      const out = await this.#o.run(batch.map((w) => w.item));
      batch.forEach((w, i) => {
        w.resolve(out[i] as O);
      });
      this.#stats.runs++;
      this.#stats.items += batch.length;
    } catch (error) {
      this.#stats.failed += batch.length;
      for (const w of batch) w.reject(error);
    } finally {
      this.#stats.busyMs += performance.now() - started;
      this.#running = false;
      this.#kick();
    }
  }
}
