import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ, as in process-usage.ts

/** Busy CPU seconds of the whole machine, all cores: the first line of /proc/stat (proc(5)) less idle and iowait. */
function busySeconds(): number {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
  const ticks = cpu.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return (ticks.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SECOND;
}

/**
 * CPU the whole machine used over an interval, as a share of one core: against what the measured
 * processes used, it shows how much went to other work (someone else's tests on a shared machine).
 */
export class MachineCpuMeter {
  readonly #start = busySeconds();
  readonly #t0 = performance.now();

  /** % of one core since the meter was made. */
  read(): number {
    return (100 * (busySeconds() - this.#start)) / ((performance.now() - this.#t0) / 1000);
  }
}
