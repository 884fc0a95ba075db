/** A time_boot_ms this far below the last one means the autopilot rebooted, not that packets were reordered. */
const REBOOT_BACKSTEP_MS = 10_000;

/**
 * Maps a drone's time_boot_ms onto our clock, so readings keep the time the autopilot measured
 * rather than the time the datagram happened to arrive.
 *
 * The boot instant is estimated as the smallest `receivedAt - time_boot_ms` seen so far: network
 * and queueing delay only ever make a packet later, so the minimum is the estimate with the least
 * delay in it (the same reasoning as NTP's minimum-delay filter). A jump backwards in
 * time_boot_ms starts over (reboot). Not corrected: the drift between the two clocks, which
 * shows as readings slowly falling behind when the autopilot's clock runs slow (tens of ms an hour
 * for a typical crystal).
 */
export class BootClock {
  #bootAt: number | undefined;
  #lastBootMs: number | undefined;

  /** Epoch ms of a message stamped `timeBootMs` that arrived at `receivedAt`. */
  toEpoch(timeBootMs: number, receivedAt: number): number {
    if (this.#lastBootMs !== undefined && timeBootMs + REBOOT_BACKSTEP_MS < this.#lastBootMs) this.#bootAt = undefined;
    const candidate = receivedAt - timeBootMs;
    if (this.#bootAt === undefined || candidate < this.#bootAt) this.#bootAt = candidate;
    this.#lastBootMs = timeBootMs;
    return Math.round(this.#bootAt + timeBootMs);
  }

  /** Epoch ms at which the autopilot booted, as far as we know yet. */
  get bootAt(): number | undefined {
    return this.#bootAt;
  }
}
