/**
 * The wait before retry `retry` (0 for the first): "full jitter" (AWS Architecture Blog, Exponential
 * Backoff and Jitter, 2015), uniform in [0, min(capMs, baseMs · 2^retry)). Spreading the retries of
 * many clients over the whole interval is what keeps a peer that comes back (a webhook receiver,
 * cameras after a switch reboot) from being hit by all of them at once. `random` returns [0, 1).
 */
export function fullJitterDelay(retry: number, baseMs: number, capMs: number, random: () => number): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(Math.max(retry, 0), 40));
  return Math.floor(random() * ceiling);
}
