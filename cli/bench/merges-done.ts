const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface MergesDoneOptions {
  /** Waited before the first look. */
  firstMs: number;
  /** Between looks. */
  everyMs: number;
  /** Given up after this long (from the call), merges or not. */
  capMs: number;
}

/**
 * Waits until ClickHouse has had no merge running for three looks in a row (`running` counts
 * `system.merges`, however the benchmark reaches its store) and returns the ms waited: what a
 * benchmark measures then is a store's steady state, not the background work of what it just loaded.
 */
export async function mergesDone(running: () => Promise<number>, options: MergesDoneOptions): Promise<number> {
  const t0 = performance.now();
  await sleep(options.firstMs);
  for (let calm = 0; calm < 3 && performance.now() - t0 < options.capMs; ) {
    calm = (await running()) === 0 ? calm + 1 : 0;
    if (calm < 3) await sleep(options.everyMs);
  }
  return performance.now() - t0;
}
