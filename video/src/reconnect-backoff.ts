import { fullJitterDelay } from "@lifeline/contracts";

export interface BackoffOptions {
  /** Ceiling of the first retry's delay. Default 500 ms. */
  baseMs?: number;
  /** The ceiling never grows past this. Default 30 s. */
  maxMs?: number;
}

/**
 * Delay before retry `attempt` (0, 1, 2, …): exponential backoff with full jitter (`fullJitterDelay`),
 * so that cameras dropped together (a switch reboot) do not reconnect in lock step. Streams (ffmpeg)
 * and camera control (ONVIF) both reconnect with it.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  return fullJitterDelay(attempt, options.baseMs ?? 500, options.maxMs ?? 30_000, random);
}
