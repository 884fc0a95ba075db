/**
 * The journal's file work (writes, fsyncs, segment changes, ack-file writes) runs one job at a
 * time, in the order scheduled. A failed job rejects its own promise and is reported; the chain
 * goes on.
 */
export class FileJobs {
  #tail: Promise<unknown> = Promise.resolve();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  schedule<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(job);
    this.#tail = run.catch(this.#onError);
    return run;
  }
}
