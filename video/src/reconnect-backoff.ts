export interface BackoffOptions {
  /** Ceiling of the first retry's delay. Default 500 ms. */
  baseMs?: number;
  /** The ceiling never grows past this. Default 30 s. */
  maxMs?: number;
}

/**
 * Delay before retry `attempt` (0, 1, 2, …): exponential backoff with full jitter, a uniform draw in
 * [0, min(maxMs, baseMs · 2^attempt)), so that cameras dropped together (a switch reboot) do not
 * reconnect in lock step. `random` returns [0, 1), as `Math.random`. Streams (ffmpeg) and camera
 * control (ONVIF) both reconnect with it.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
