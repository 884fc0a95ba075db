import { fullJitterDelay } from "@lifeline/contracts";

export interface RetryPolicy {
  /** Upper bound of the first wait. */
  baseMs: number;
  /** No wait is longer than this, whatever the attempt or a receiver's Retry-After. */
  capMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 1_000, capMs: 60_000 };

/** Time and sleeping, injectable so that a test can run an hour of retries at once. */
export interface DeliveryClock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: DeliveryClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    }),
};

/** The wait after the `failedAttempts`-th failure (1, 2, …): full jitter (see `fullJitterDelay`). */
export function backoffDelay(failedAttempts: number, policy: RetryPolicy, random: () => number): number {
  return fullJitterDelay(failedAttempts - 1, policy.baseMs, policy.capMs, random);
}

/**
 * The wait before the next attempt: the backoff, or longer if the receiver asked for it with
 * `Retry-After` (RFC 9110 §10.2.3), never longer than the cap.
 */
export function retryDelay(
  failedAttempts: number,
  retryAfterMs: number | null,
  policy: RetryPolicy,
  random: () => number,
): number {
  return Math.min(policy.capMs, Math.max(backoffDelay(failedAttempts, policy, random), retryAfterMs ?? 0));
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms from `nowMs`; null if absent or unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}
