import type { Adapter, ReadingSink } from "./adapter.ts";
import { AdapterError } from "./adapter-error.ts";

/**
 * One adapter at work: a polled adapter with its poll loop, or a streaming adapter started. The
 * agent starts and stops these one by one when a profile changes, so the others never pause.
 */
export class RunningAdapter {
  readonly adapter: Adapter;
  readonly #stopping = new AbortController();
  #work: Promise<void> = Promise.resolve();

  constructor(adapter: Adapter) {
    this.adapter = adapter;
  }

  start(sink: ReadingSink, onPoll: () => void): void {
    const adapter = this.adapter;
    if (adapter.kind === "polled") {
      this.#work = pollLoop(
        adapter.intervalMs,
        async () => {
          onPoll();
          await adapter.gather(sink);
        },
        this.#stopping.signal,
      );
      return;
    }
    this.#work = adapter.start(sink).catch((cause: unknown) => {
      sink.error(
        cause instanceof AdapterError
          ? cause
          : new AdapterError(
              "EDGE_ADAPTER_START_FAILED",
              `could not start: ${(cause as Error)?.message}`,
              { device: adapter.id },
              cause,
            ),
      );
    });
  }

  /** Lets a poll in progress finish (its readings are delivered), then closes the adapter. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#work.catch(() => undefined);
    await this.adapter.close().catch(() => undefined);
  }
}

/** Calls `poll` every `intervalMs`, measured from start to start, never two at once. */
async function pollLoop(intervalMs: number, poll: () => Promise<void>, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const started = performance.now();
    await poll();
    const wait = Math.max(0, intervalMs - (performance.now() - started));
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, wait);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
